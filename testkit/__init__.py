"""Everything that is not the product, for the tests, the demo, the benchmarks and the container test.

- runner: the runner's side of a container action step (INPUT_ variables with action.yml's
  defaults, the event file, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY, the workspace), run in-process,
  as entrypoint.py in a subprocess, or in the image (container); reading GITHUB_OUTPUT back.
- harness: the action in-process on its own RDS client, every call recorded, hooks for what
  moto cannot do.
- events: pull_request and schedule payloads; clock: a clock that never sleeps.
- fake_aws: moto once a process (in-process and as a counting server), the source cluster,
  clones tagged as the action tags them; real_rds: moto corrected to real RDS; rds_model: faults,
  states and hooks from the RDS service model and the Aurora User Guide.
- fake_github: GitHub's REST API on 127.0.0.1, as PyGithub reaches it.
- container: the image built from the Dockerfile and run with podman as the runner runs it.

Nothing here is installed into the action's image (.dockerignore).
"""
