-- The municipality's corrections of a placement-month's attendance: of a month it has
-- approved (locked), once no uncredited invoice bills it, or in place of a report the
-- supplier did not submit before the deadline. The attendance_months row then holds
-- the corrected values, approved; each correction keeps the values it replaced, so what
-- was approved before stays visible, and the audit log records it too.
-- Dates are ISO-8601 text, timestamps RFC 3339 text in UTC, as in 0001.

CREATE TABLE attendance_corrections (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL,
    placement_id INTEGER NOT NULL,
    month TEXT NOT NULL,
    -- The month as it stood before: all NULL when nothing had been reported.
    before_status TEXT CHECK (before_status IN ('draft', 'submitted', 'approved')),
    before_minutes INTEGER CHECK (before_minutes >= 0),
    before_sick_days INTEGER CHECK (before_sick_days >= 0),
    before_leave_days INTEGER CHECK (before_leave_days >= 0),
    before_unexcused_days INTEGER CHECK (before_unexcused_days >= 0),
    -- The corrected month (approved).
    attended_minutes INTEGER NOT NULL CHECK (attended_minutes >= 0),
    sick_days INTEGER NOT NULL CHECK (sick_days >= 0),
    leave_days INTEGER NOT NULL CHECK (leave_days >= 0),
    unexcused_days INTEGER NOT NULL CHECK (unexcused_days >= 0),
    reason TEXT NOT NULL CHECK (reason <> ''),
    corrected_by TEXT NOT NULL,
    corrected_at TEXT NOT NULL,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, placement_id) REFERENCES placements (tenant_id, id),
    CHECK ((before_status IS NULL) = (before_minutes IS NULL)
       AND (before_status IS NULL) = (before_sick_days IS NULL)
       AND (before_status IS NULL) = (before_leave_days IS NULL)
       AND (before_status IS NULL) = (before_unexcused_days IS NULL))
);

CREATE INDEX attendance_corrections_placement ON attendance_corrections (tenant_id, placement_id, month);
