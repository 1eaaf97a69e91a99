"""Pure rules: statuses and moves, schedule math, mapping and diff, outcomes. No I/O."""
