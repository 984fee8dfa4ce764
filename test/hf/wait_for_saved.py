# What the reference scripts share once their fixtures are made: waiting for the folder the test
# writes with hf_save (it writes FOLDER.done after), so that one Python process both makes the
# fixtures and loads what torchlora saved (importing transformers is most of its time).
import os
import sys
import time


def wait_for_saved(folder, seconds=600):
    """Returns when FOLDER.done exists; exits the script, saying so, after `seconds`."""
    deadline = time.time() + seconds
    while not os.path.exists(folder + ".done"):
        if time.time() > deadline:
            sys.exit(f"{folder}.done never appeared")
        time.sleep(0.05)
