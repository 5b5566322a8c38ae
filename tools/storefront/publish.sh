#!/usr/bin/env bash
# Publishes web/ to a deployed stack's storefront: the files to its bucket, a config.json
# naming the stack's ApiUrl (the page's only configuration), then an invalidation so that
# CloudFront serves the new files at once. Run after `sam deploy` (`make
# publish-storefront STACK=...`; the deploy workflow does), with the AWS CLI and the
# credentials that deployed the stack.
set -euo pipefail
stack=${1:?usage: publish.sh <stack name>}
cd "$(dirname "$0")/../.."

output() {
    aws cloudformation describe-stacks --stack-name "$stack" \
        --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}
bucket=$(output StorefrontBucketName)
distribution=$(output StorefrontDistributionId)
api=$(output ApiUrl)

aws s3 sync web/ "s3://$bucket/" --delete --exclude config.json
printf '{"apiUrl": "%s"}\n' "$api" |
    aws s3 cp - "s3://$bucket/config.json" --content-type application/json
aws cloudfront create-invalidation --distribution-id "$distribution" --paths '/*' >/dev/null
echo "storefront: $(output StorefrontUrl)"
