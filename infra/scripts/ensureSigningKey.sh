#!/usr/bin/env bash
# azd postprovision hook: creates the app's signing key (DISPATCH_SIGNING_KEY, a Key Vault reference) once.
# Only when the secret does not exist: setting it again would rotate the key and make every requeue copy still
# scheduled on the queue fail verification. Rotation is a deliberate step (docs/operations.md, "Security model").
set -euo pipefail

vault="${KEY_VAULT_NAME:?KEY_VAULT_NAME is not set (azd env); run azd provision first}"
name="${DISPATCH_SIGNING_KEY_SECRET_NAME:-dispatch-signing-key}"

if output=$(az keyvault secret show --vault-name "$vault" --name "$name" --query id --output tsv 2>&1); then
  echo "signing key: $name exists in $vault, left unchanged"
  exit 0
fi
case "$output" in
  *SecretNotFound* | *"was not found"*) ;;
  *)
    # Anything else (no permission, network) must not be taken for "missing": that would replace the key.
    echo "signing key: could not read $name in $vault: $output" >&2
    exit 1
    ;;
esac
echo "signing key: creating $name in $vault"
az keyvault secret set --vault-name "$vault" --name "$name" --value "$(openssl rand -base64 32)" \
  --content-type 'base64, 32 random bytes: DISPATCH_SIGNING_KEY' --output none
