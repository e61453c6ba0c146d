#!/usr/bin/env bash
# Runs every test: unit, integration (real gRPC socket, real SQLite file, a throw-away
# PostgreSQL cluster, real Dovecot IMAP and LMTP server, Postfix, dnsmasq and BIND 9 DNS servers on loopback), end-to-end
# (the daemon as its own process) and the dashboard in Debian's headless Chromium (screenshots
# in artifacts/screenshots). Installs what the tests need first, from Debian's packages; the
# tests start and stop the servers themselves.
set -euo pipefail
cd "$(dirname "$0")"

need=()
[ -x /usr/sbin/dovecot ] || need+=(dovecot-imapd)
[ -x /usr/lib/dovecot/lmtp ] || need+=(dovecot-lmtpd)
[ -x /usr/sbin/postfix ] || need+=(postfix)
[ -x /usr/sbin/dnsmasq ] || need+=(dnsmasq-base)
# BIND 9: the zones' primary for the RFC 2136 updates of the _mta-sts records.
[ -x /usr/sbin/named ] || need+=(bind9)
[ -x /usr/bin/openssl ] || need+=(openssl)
[ -x /usr/bin/curl ] || need+=(curl)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/systemd-analyze ] || need+=(systemd)
# The charts' font (Arial's metrics); Chromium only recommends it.
[ -d /usr/share/fonts/truetype/liberation ] || need+=(fonts-liberation)
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: missing ${need[*]}; run as root or install them with apt-get" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

if [ ! -d ../shared/corpus ]; then
  echo "test.sh: ../shared/corpus is not beside this clone: the corpus conformance tests are reported as skipped (with CI=true they fail)" >&2
fi

dotnet test MtaStsReporting.sln "$@"

# The daemon's store-facing suites once more with PostgreSQL as the store (the store's own
# tests, MtaStsReporting.Persistence.Tests, already run on both engines above).
MTASTS_TEST_STORE=PostgreSql dotnet test tests/MtaStsReporting.Daemon.Tests --no-build \
  --filter "FullyQualifiedName~.Relay.|FullyQualifiedName~.Queries.|FullyQualifiedName~.Ingestion.|FullyQualifiedName~.Storage.|FullyQualifiedName~.Security.|FullyQualifiedName~.Readiness.ReadinessApi|FullyQualifiedName~.Observability.|FullyQualifiedName~.Collector.DatagramCollectorTests|FullyQualifiedName~.Collector.CollectorMetricsTests|FullyQualifiedName~.Outbound.HttpsDeliveryTests|FullyQualifiedName~.PolicyHosting.PolicyChangeTests" "$@"
