"""The heartbeat: schedule, start, process, finish, tidy; the worker loop."""
