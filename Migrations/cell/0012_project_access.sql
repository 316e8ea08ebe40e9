-- Project access lists: a restricted project is visible only to the members listed for it (and to members who manage
-- the organisation's members, who grant access). Everything inside a project (datasets, features, training sets)
-- follows its project.
ALTER TABLE projects ADD COLUMN restricted boolean NOT NULL DEFAULT false;

CREATE TABLE project_members (
    tenant_id uuid NOT NULL,
    project_id uuid NOT NULL,
    user_id uuid NOT NULL,
    added_by text NOT NULL CHECK (length(added_by) <= 80),
    added_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, project_id, user_id),
    FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX project_members_user ON project_members (tenant_id, user_id);

ALTER TABLE project_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE project_members FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON project_members USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());
