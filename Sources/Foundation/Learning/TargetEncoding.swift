import Tabular

/// The target column as the fit sees it: the task, the classes (by their canonical text), and each value as a number
/// (the class index, or the value itself for regression).
struct TargetEncoding {
    /// An `int` target with at most this many distinct values is taken as classes when the spec leaves the task open.
    static let maximumIntegerClasses = 20

    let task: ModelFile.Task
    let classes: [String]
    private let classIndex: [String: Int]

    private init(task: ModelFile.Task, classes: [String]) {
        self.task = task
        self.classes = classes
        classIndex = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
    }

    /// The task and classes for a target column whose non-missing values are `values`.
    /// - Throws: ``TrainingError`` for a target the task cannot use.
    static func choose(_ column: Column, values: [TabularValue], task requested: ModelFile.Task?, notes: inout [String]) throws(TrainingError) -> TargetEncoding {
        if column.type == .timestamp { throw TrainingError(field: "target", "'\(column.name)' is a timestamp; choose a number or a class to predict") }
        let isNumeric = column.type == .int || column.type == .float || column.type == .bool
        let distinct = Set(values.lazy.compactMap(\.canonicalText))
        let task: ModelFile.Task
        if let requested {
            if requested == .regression && !isNumeric {
                throw TrainingError(field: "task", "'\(column.name)' holds text (\(column.type.rawValue)); regression needs a number")
            }
            task = requested == .regression ? .regression : distinct.count == 2 ? .binary : .multiclass
        } else if column.type == .float || (column.type == .int && distinct.count > maximumIntegerClasses) {
            task = .regression
            notes.append("Regression: '\(column.name)' is a number with \(distinct.count) different values.")
        } else {
            task = distinct.count == 2 ? .binary : .multiclass
            notes.append("\(task == .binary ? "Binary" : "Multi-class") classification: '\(column.name)' has \(distinct.count) different values.")
        }
        if task == .regression { return TargetEncoding(task: .regression, classes: []) }
        guard distinct.count >= 2 else {
            throw TrainingError(field: "target", "Every row has the same value in '\(column.name)'; a classifier needs at least two classes")
        }
        guard distinct.count <= TrainingPipeline.maximumClasses else {
            throw TrainingError(
                field: "target", "'\(column.name)' has \(distinct.count) different values; classification allows at most \(TrainingPipeline.maximumClasses)")
        }
        let classes = distinct.sorted { left, right in
            if let l = Double(left), let r = Double(right), column.type != .string, column.type != .category { return l < r }
            return left < right
        }
        if requested != nil, task != requested {
            throw TrainingError(field: "task", "'\(column.name)' has \(classes.count) classes, so the task is \(task.rawValue), not \(requested!.rawValue)")
        }
        return TargetEncoding(task: task, classes: classes)
    }

    /// The number the fit uses for a non-missing target value.
    func encode(_ value: TabularValue) -> Double {
        if task == .regression {
            switch value {
            case .int(let number): return Double(number)
            case .float(let number): return number
            case .bool(let flag): return flag ? 1 : 0
            default: return .nan
            }
        }
        return Double(classIndex[value.canonicalText ?? ""] ?? 0)
    }
}
