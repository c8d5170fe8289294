"""Harbor (Terminal-Bench 2) tasks without Docker: read, built, run and verified.

taskdir.py reads a task directory; dockerfile.py the Dockerfile subset; rootfs.py
builds and caches the environment (a Debian root made with mmdebstrap, the Dockerfile's
steps replayed in it); installs.py moves what the scripts install at run time to build
time; task.py makes a wwabench Task of it; trial.py runs one in a bubblewrap sandbox
with the built root as `/`, and verify.py runs its verifier there after the agent.
docs/harbor.md has what works, what does not, and why.
"""
