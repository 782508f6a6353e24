"""The small scenario text that several test folders share (a module of its own: every folder's conftest.py
is named conftest, so importing it by name finds whichever folder came first on the path)."""

SMALL = """
name = "small"
[simulation]
start = 2024-07-01
horizon_days = 20
step = "30min"
seed = 3
[site]
climate = "memphis"
[[fleet]]
accelerator = "h100-sxm"
count = 4096
install_start = 2024-07-01
install_end = 2024-07-10
[power]
grid = [ { from = 2024-07-01, mw = 2 }, { from = 2024-07-08, mw = 20 } ]
[[power.generators]]
unit = "mobile-2p5mw"
count = 1
available_from = 2024-07-01
[power.battery]
power_mw = 2.0
energy_mwh = 4.0
[training]
model = "gpt3-175b"
target_flop = 1e23
job_gpus = 2048
global_batch = 1024
[training.layout]
tp = 8
pp = 8
"""
