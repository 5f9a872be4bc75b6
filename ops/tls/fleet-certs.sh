#!/usr/bin/env bash
# Makes the key material of a fleet's cluster transport (Artery TLS with mutual authentication) with the
# JDK's keytool: a certificate authority of the fleet, one node key pair signed by it, and the stores the
# cluster profiles read (cluster-config/local-3.conf, kubernetes.conf):
#   DIR/node.p12   the node's private key and certificate chain (all nodes of the fleet may share it)
#   DIR/trust.p12  the fleet CA's certificate: peers must present a certificate it signed
#   DIR/password   the stores' password (also LORAFLEET_TLS_PASSWORD)
#   DIR/ca.p12     the CA's private key: keep it away from the nodes (it signs new node certificates)
#   DIR/ca.pem, DIR/node.pem  the certificates, for inspection
# Usage: ops/tls/fleet-certs.sh DIR [DAYS]    (password from LORAFLEET_TLS_PASSWORD, else a random one)
# Then: export LORAFLEET_TLS_DIR=DIR LORAFLEET_TLS_PASSWORD=$(cat DIR/password)
# In Kubernetes: kubectl create secret generic lorafleet-tls --from-file=node.p12=DIR/node.p12 \
#   --from-file=trust.p12=DIR/trust.p12 --from-file=password=DIR/password   (chart value tls.existingSecret)
set -euo pipefail
dir=${1:?usage: fleet-certs.sh DIR [DAYS]}
days=${2:-365}
keytool=${KEYTOOL:-}
if [[ -z "$keytool" ]]; then
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/keytool" ]]; then keytool="$JAVA_HOME/bin/keytool"; else keytool=keytool; fi
fi
pass=${LORAFLEET_TLS_PASSWORD:-$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')}
if [[ -e "$dir/node.p12" || -e "$dir/trust.p12" || -e "$dir/ca.p12" ]]; then
  echo "fleet-certs.sh: $dir already holds key stores; remove them or choose another directory" >&2
  exit 2
fi
umask 077
mkdir -p "$dir"
kt() { "$keytool" "$@" -storetype PKCS12 -storepass "$pass" 2>&1 | grep -v '^Certificate was added\|^Certificate reply was installed' || true; }
kt -genkeypair -alias fleet-ca -keyalg EC -groupname secp384r1 -dname "CN=LoraFleet fleet CA" \
  -ext bc:c -ext ku:c=keyCertSign,cRLSign -validity "$days" -keystore "$dir/ca.p12"
kt -exportcert -alias fleet-ca -rfc -file "$dir/ca.pem" -keystore "$dir/ca.p12"
kt -genkeypair -alias node -keyalg EC -groupname secp384r1 -dname "CN=LoraFleet node" -validity "$days" \
  -keystore "$dir/node.p12"
kt -certreq -alias node -file "$dir/node.csr" -keystore "$dir/node.p12"
kt -gencert -alias fleet-ca -infile "$dir/node.csr" -outfile "$dir/node.pem" -rfc -validity "$days" \
  -ext ku:c=digitalSignature -ext eku=serverAuth,clientAuth -keystore "$dir/ca.p12"
kt -importcert -alias fleet-ca -file "$dir/ca.pem" -noprompt -keystore "$dir/node.p12"
kt -importcert -alias node -file "$dir/node.pem" -keystore "$dir/node.p12"
kt -importcert -alias fleet-ca -file "$dir/ca.pem" -noprompt -keystore "$dir/trust.p12"
rm -f "$dir/node.csr"
printf '%s' "$pass" > "$dir/password"
for f in node.p12 trust.p12 ca.p12; do
  [[ -s "$dir/$f" ]] || { echo "fleet-certs.sh: $dir/$f was not written" >&2; exit 1; }
done
echo "fleet-certs.sh: wrote $dir/{node.p12,trust.p12,password} (and the CA: $dir/ca.p12, keep it off the nodes)"
