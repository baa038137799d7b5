-- A patrol plan is a draft until a commander issues it.  Drafts are not
-- counted in planned attention, dosage or the bias audit, and no visit can
-- be reported against one.  Plans made before this migration were in use:
-- they count as issued by whoever made them.

ALTER TABLE patrol_plans
    ADD COLUMN status text NOT NULL DEFAULT 'issued' CHECK (status IN ('draft', 'issued')),
    ADD COLUMN issued_at timestamptz,
    ADD COLUMN issued_by text;
UPDATE patrol_plans SET issued_at = created_at, issued_by = created_by;
ALTER TABLE patrol_plans ALTER COLUMN status SET DEFAULT 'draft';
ALTER TABLE patrol_plans ADD CONSTRAINT patrol_plans_issued_check
    CHECK ((status = 'issued') = (issued_at IS NOT NULL AND issued_by IS NOT NULL));
CREATE INDEX patrol_plans_issued_shift_idx ON patrol_plans (shift_start) WHERE status = 'issued';
