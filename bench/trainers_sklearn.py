"""Data and scikit-learn side of the trainer benchmark (bench/trainers; see BENCHMARKS.md).

Usage: python trainers_sklearn.py DATA_DIR ROWS

Writes each dataset's train and test split to DATA_DIR as CSV (features f0…, then `target`) with a manifest.json,
then fits scikit-learn's models on the same splits and writes DATA_DIR/sklearn.json:
  - logistic regression: StandardScaler + LogisticRegression(solver="lbfgs") (classification sets)
  - ridge: StandardScaler + Ridge(alpha=1.0) (the regression set)
  - boosted trees: HistGradientBoostingClassifier / Regressor with the defaults
Datasets: scikit-learn's bundled breast cancer (binary), wine and digits (multi-class), diabetes (regression), and a
synthetic make_classification set of ROWS rows × 20 features (binary). Splits: 80/20, random_state 0, stratified for
classification. Timings are wall-clock fits (scaling included), on every core scikit-learn uses.
"""
import json
import os
import sys
import time

import numpy as np
from sklearn import datasets
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, r2_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def load(rows):
    yield "breast_cancer", "binary", *datasets.load_breast_cancer(return_X_y=True)
    yield "wine", "multiclass", *datasets.load_wine(return_X_y=True)
    yield "digits", "multiclass", *datasets.load_digits(return_X_y=True)
    yield "diabetes", "regression", *datasets.load_diabetes(return_X_y=True)
    x, y = datasets.make_classification(n_samples=rows, n_features=20, n_informative=10, n_redundant=4, random_state=0)
    yield "synthetic", "binary", x, y


def write_csv(path, x, y, task):
    header = ",".join([f"f{i}" for i in range(x.shape[1])] + ["target"])
    target = y.astype(np.int64) if task != "regression" else y
    table = np.column_stack([x, target])
    formats = ["%.17g"] * x.shape[1] + (["%d"] if task != "regression" else ["%.17g"])
    np.savetxt(path, table, delimiter=",", header=header, comments="", fmt=formats)


def score(task, model, x, y):
    if task == "regression":
        return {"r2": r2_score(y, model.predict(x))}
    probabilities = model.predict_proba(x)
    auc = roc_auc_score(y, probabilities[:, 1]) if task == "binary" else roc_auc_score(y, probabilities, multi_class="ovr", average="macro")
    return {"accuracy": accuracy_score(y, model.predict(x)), "auc": auc}


def main():
    directory, rows = sys.argv[1], int(sys.argv[2])
    os.makedirs(directory, exist_ok=True)
    manifest, results = [], []
    for name, task, x, y in load(rows):
        stratify = y if task != "regression" else None
        x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=0, stratify=stratify)
        write_csv(f"{directory}/{name}-train.csv", x_train, y_train, task)
        write_csv(f"{directory}/{name}-test.csv", x_test, y_test, task)
        classes = int(len(np.unique(y))) if task != "regression" else 0
        manifest.append({"name": name, "task": task, "classes": classes, "features": int(x.shape[1]),
                         "train_rows": int(len(y_train)), "test_rows": int(len(y_test))})
        if task == "regression":
            candidates = [("ridge", make_pipeline(StandardScaler(), Ridge(alpha=1.0))), ("boosted_trees", HistGradientBoostingRegressor())]
        else:
            candidates = [("logistic", make_pipeline(StandardScaler(), LogisticRegression(solver="lbfgs"))),
                          ("boosted_trees", HistGradientBoostingClassifier())]
        for algorithm, model in candidates:
            start = time.perf_counter()
            model.fit(x_train, y_train)
            seconds = time.perf_counter() - start
            results.append({"dataset": name, "algorithm": algorithm, "fit_seconds": seconds, **score(task, model, x_test, y_test)})
            print(f"[sklearn] {name} {algorithm}: {results[-1]}", file=sys.stderr)
    json.dump(manifest, open(f"{directory}/manifest.json", "w"), indent=1)
    json.dump(results, open(f"{directory}/sklearn.json", "w"), indent=1)


if __name__ == "__main__":
    main()
