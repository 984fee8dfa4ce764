"""bench:ddp's all-reduce latency in Python PyTorch (same libtorch, same gloo): one rank.

    /usr/bin/python3 bench/allreduce.py RANK PORT CALLS
"""
import json
import sys
import time

import torch
import torch.distributed as dist

rank, port, calls = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
torch.set_num_threads(1)
dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
t = torch.zeros(2002)
for _ in range(50):
    dist.all_reduce(t)
start = time.perf_counter()
for _ in range(calls):
    dist.all_reduce(t)
if rank == 0:
    print(json.dumps({"unchecked": (time.perf_counter() - start) / calls * 1e6}))
dist.destroy_process_group()
