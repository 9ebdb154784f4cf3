"""One function per command: load, decide, append with the expected version, project, in
the caller's transaction (`unit_of_work`), so the ERP import can run many in one."""
