"""The use cases every face calls (actions, profiles, preview, settings, accounts, tokens) and
the heartbeat: schedule, start, process, finish, tidy; the worker loop."""
