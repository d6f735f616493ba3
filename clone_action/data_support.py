"""Where the RDS Data API serves a cluster: engine, engine version, instance class and Region.

Sources, read 2026-11-26:
- "Supported Regions and Aurora DB engines for RDS Data API", Aurora User Guide,
  https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.Aurora_Fea_Regions_DB-eng.Feature.Data_API.html
  Aurora PostgreSQL (Serverless v2 and provisioned): 13.11, 14.8, 15.3, 16.1, 17.4 and 18.3 and
  higher in their major versions; "Not available" in Asia Pacific (Hyderabad), (Melbourne) and
  (New Zealand). Aurora MySQL (Serverless v2 and provisioned): 3.07 and higher; version 2 has
  none. Only the start of the page's Region table could be read (up to Asia Pacific (Seoul) for
  PostgreSQL, not the Aurora MySQL table): a Region not listed here is not refused, and the
  EnableHttpEndpoint call's own refusal remains the backstop there.
- "Limitations for the Amazon RDS Data API": "Data API isn't supported on T DB instance classes."
"""

from __future__ import annotations

import re

# The first minor version with the Data API, per major version of Aurora PostgreSQL.
POSTGRES_MINIMUM = {13: 11, 14: 8, 15: 3, 16: 1, 17: 4, 18: 3}
MYSQL_MINIMUM = (3, 7)  # Aurora MySQL 3.07
# Regions the page marks "Not available" for Aurora PostgreSQL.
POSTGRES_NOT_IN = {
    "ap-south-2": "Asia Pacific (Hyderabad)",
    "ap-southeast-4": "Asia Pacific (Melbourne)",
    "ap-southeast-6": "Asia Pacific (New Zealand)",
}
_REMOVE = "or remove mask and sql"


def data_api_problem(engine: str, engine_version: str, instance_class: str, region: str) -> str | None:
    """None when the Data API serves such a cluster; else the reason and what to do, one sentence."""
    if engine == "aurora-postgresql":
        problem = _postgres_version(engine_version)
    elif engine == "aurora-mysql":
        problem = _mysql_version(engine_version)
    else:
        return (
            f"the RDS Data API, which mask and sql run through, serves Aurora PostgreSQL and Aurora "
            f"MySQL clusters only, and the source's engine is {engine!r}; remove mask and sql"
        )
    if problem:
        return problem
    if instance_class.lower().startswith("db.t"):
        return (
            f"the RDS Data API, which mask and sql run through, does not serve db.t* instance classes, "
            f"and the clone's class is {instance_class}; use db.serverless or a db.r* class such as "
            f"db.r6g.large, {_REMOVE}"
        )
    if engine == "aurora-postgresql" and region in POSTGRES_NOT_IN:
        return (
            f"the RDS Data API, which mask and sql run through, is not available for Aurora PostgreSQL "
            f"in {region} ({POSTGRES_NOT_IN[region]}); run the source in a Region that has it, {_REMOVE}"
        )
    return None


def _postgres_version(version: str) -> str | None:
    match = re.match(r"(\d+)\.(\d+)", version)
    if not match:
        return None  # a form not known here: let EnableHttpEndpoint decide
    major, minor = int(match.group(1)), int(match.group(2))
    if major > max(POSTGRES_MINIMUM):
        return None  # newer than the page: assumed to have it
    first = min(POSTGRES_MINIMUM)
    if major < first:
        need = f"{first}.{POSTGRES_MINIMUM[first]}"
    elif minor < POSTGRES_MINIMUM[major]:
        need = f"{major}.{POSTGRES_MINIMUM[major]}"
    else:
        return None
    return (
        f"the RDS Data API, which mask and sql run through, needs Aurora PostgreSQL {need} or later, "
        f"and the source runs {version}; upgrade the source cluster to {need} or later, {_REMOVE}"
    )


def _mysql_version(version: str) -> str | None:
    match = re.search(r"mysql_aurora\.(\d+)\.(\d+)", version)
    if not match:
        return None
    aurora = (int(match.group(1)), int(match.group(2)))
    if aurora >= MYSQL_MINIMUM:
        return None
    shown = f"{aurora[0]}.{aurora[1]:02d}"
    family = " (MySQL 5.7 compatible), which has none" if aurora[0] < 3 else ""
    return (
        f"the RDS Data API, which mask and sql run through, needs Aurora MySQL 3.07 or later, and the "
        f"source runs Aurora MySQL {shown}{family} (engine version {version}); upgrade the source "
        f"cluster to Aurora MySQL 3.07 or later, {_REMOVE}"
    )
