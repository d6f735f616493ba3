#!/usr/bin/env bash
# The clone + teardown flow as a hand-made CI script does it with the AWS CLI: the baseline that
# bench/compare.py times against the action. Every call goes to AWS_ENDPOINT_URL when it is set.
#
#   bench/cli_flow.sh SOURCE CLONE_ID SUBNET_GROUP SECURITY_GROUP [INSTANCE_CLASS]
#
# AWS names the CLI to run (default: aws on PATH).
set -euo pipefail

AWS=${AWS:-aws}
SOURCE=${1:?source cluster}
CLONE=${2:?clone cluster id}
SUBNET_GROUP=${3:?db subnet group}
SECURITY_GROUP=${4:?vpc security group id}
CLASS=${5:-db.r6g.large}
INSTANCE="${CLONE}-1"

# Clone: copy-on-write restore (unprotected, or the teardown cannot delete it; moto copies the
# source's deletion protection), one instance, wait until both are available, read the endpoint.
ENGINE=$("$AWS" rds restore-db-cluster-to-point-in-time \
  --source-db-cluster-identifier "$SOURCE" \
  --db-cluster-identifier "$CLONE" \
  --restore-type copy-on-write \
  --use-latest-restorable-time \
  --no-deletion-protection \
  --db-subnet-group-name "$SUBNET_GROUP" \
  --vpc-security-group-ids "$SECURITY_GROUP" \
  --tags Key=pr,Value=7 \
  --query DBCluster.Engine --output text)

"$AWS" rds create-db-instance \
  --db-instance-identifier "$INSTANCE" \
  --db-cluster-identifier "$CLONE" \
  --db-instance-class "$CLASS" \
  --engine "$ENGINE" \
  --tags Key=pr,Value=7 \
  --output text >/dev/null

"$AWS" rds wait db-cluster-available --db-cluster-identifier "$CLONE"
"$AWS" rds wait db-instance-available --db-instance-identifier "$INSTANCE"

ENDPOINT=$("$AWS" rds describe-db-clusters --db-cluster-identifier "$CLONE" \
  --query 'DBClusters[0].Endpoint' --output text)
echo "endpoint=$ENDPOINT"

# Teardown: delete the instance, then the cluster without a final snapshot, and wait until it is gone.
"$AWS" rds delete-db-instance --db-instance-identifier "$INSTANCE" --skip-final-snapshot \
  --output text >/dev/null
"$AWS" rds delete-db-cluster --db-cluster-identifier "$CLONE" --skip-final-snapshot \
  --output text >/dev/null
"$AWS" rds wait db-cluster-deleted --db-cluster-identifier "$CLONE"
echo "deleted=$CLONE"
