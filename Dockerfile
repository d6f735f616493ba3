# The GitHub runner builds this image and runs it with --workdir /github/workspace,
# so nothing here depends on the working directory.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# requirements.lock: every runtime package, transitive ones included, each with its hashes
# (CONTRIBUTING.md says how to regenerate it); pip refuses any file whose hash is not listed.
COPY requirements.lock /action/requirements.lock
RUN pip install --no-cache-dir --require-hashes -r /action/requirements.lock

COPY entrypoint.py /action/entrypoint.py
COPY clone_action /action/clone_action
# The example IAM policies: an AccessDenied error quotes the statement that allows the action.
COPY examples/iam /action/examples/iam

# GitHub's rule for Docker actions: run as root (the default user), so that the mounted
# workspace and file-command files are writable.
ENTRYPOINT ["python", "/action/entrypoint.py"]
