"""Recordings: event logs on disk, written while watching and read back for replays, one-shot reads and the player.

- format.py: the header, the version and its upgrades; codec.py: one event as its line and back;
- writer.py: appending lines; files.py: opening plain, gzipped and bundled recordings; reader.py: reading in order;
- line_heads.py, skim.py, two_cores.py: finding each object's newest line without decoding (on two cores when large);
- mapped_file.py, line_reading.py: a recording's bytes in memory and its lines read by offset;
- compaction.py: the state at one moment, decoding only lines that survive; random_access.py: the player's timeline.
"""
