using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MtaStsReporting.Daemon.Hosting;
using MtaStsReporting.Domain.Access;
using MtaStsReporting.Persistence.Security;

namespace MtaStsReporting.Daemon.Security;

/// <summary>
/// A PEM certificate (with its chain) and key read from files, and read again when either file
/// changes, so that a renewed certificate (certbot, cert-manager) is served without a restart.
/// Checked at most once a second, on a handshake, by the files' contents (a hash of two small
/// files), not their dates: a Kubernetes secret volume renews by swapping a <c>..data</c>
/// directory symlink, which leaves the dates of the paths configured unchanged. A half-written
/// pair (new certificate, old key) does not load; the old certificate stays in service and the
/// change is tried again at the next check.
/// </summary>
public sealed class ReloadingCertificate
{
    private readonly string _certificateFile;
    private readonly string _keyFile;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private SslStreamCertificateContext _current;
    private (string, string) _loadedStamp;
    private (string, string) _failedStamp;
    private long _nextCheck;

    private ReloadingCertificate(string certificateFile, string keyFile, ILogger logger, SslStreamCertificateContext current, (string, string) stamp)
    {
        _certificateFile = certificateFile;
        _keyFile = keyFile;
        _logger = logger;
        _current = current;
        _loadedStamp = stamp;
    }

    /// <summary>The certificate and chain to serve on the next handshake.</summary>
    public SslStreamCertificateContext Current
    {
        get
        {
            var now = Environment.TickCount64;
            if (now >= Volatile.Read(ref _nextCheck))
            {
                Volatile.Write(ref _nextCheck, now + 1000);
                ReloadIfChanged();
            }

            return Volatile.Read(ref _current);
        }
    }

    /// <summary>Loads the pair at start; a pair that does not load stops the daemon with a message naming the setting.</summary>
    public static ReloadingCertificate Load(string certificateFile, string keyFile, string setting, ILogger logger)
    {
        try
        {
            // Stamped before reading: a change made while reading is picked up at the next check.
            var stamp = Stamp(certificateFile, keyFile);
            return new ReloadingCertificate(certificateFile, keyFile, logger, Read(certificateFile, keyFile), stamp);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new OptionsValidationFailure($"{setting}: cannot load certificate '{certificateFile}' with key '{keyFile}': {ex.Message}");
        }
    }

    /// <summary>Reads the files again if what they hold changed.</summary>
    private void ReloadIfChanged()
    {
        lock (_lock)
        {
            (string, string) stamp;
            try
            {
                stamp = Stamp(_certificateFile, _keyFile);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return; // a file is being replaced: look again at the next check
            }

            if (stamp == _loadedStamp || stamp == _failedStamp)
            {
                return;
            }

            try
            {
                var next = Read(_certificateFile, _keyFile);
                Volatile.Write(ref _current, next);
                _loadedStamp = stamp;
                _logger.LogInformation("TLS certificate reloaded from {File}: {Subject}, valid until {NotAfter:u}, SHA-256 {Thumbprint}",
                    _certificateFile, next.TargetCertificate.Subject, next.TargetCertificate.NotAfter.ToUniversalTime(), next.TargetCertificate.GetCertHashString(HashAlgorithmName.SHA256));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
            {
                _failedStamp = stamp; // logged once per change, not once per handshake
                _logger.LogWarning("TLS certificate files {File} and {Key} changed but do not load ({Error}); still serving {Subject}",
                    _certificateFile, _keyFile, ex.Message, Volatile.Read(ref _current).TargetCertificate.Subject);
            }
        }
    }

    /// <summary>What the paths hold now, through any symlinks: the SHA-256 of each file.</summary>
    private static (string, string) Stamp(string certificateFile, string keyFile) =>
        (Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(certificateFile))), Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(keyFile))));

    private static SslStreamCertificateContext Read(string certificateFile, string keyFile)
    {
        var leaf = X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
        if (!leaf.HasPrivateKey)
        {
            throw new CryptographicException("the key does not belong to the certificate");
        }

        // The rest of the PEM file is the chain, sent to clients that lack the intermediates.
        var all = new X509Certificate2Collection();
        all.ImportFromPemFile(certificateFile);
        var chain = new X509Certificate2Collection();
        foreach (var c in all)
        {
            if (c.Thumbprint != leaf.Thumbprint)
            {
                chain.Add(c);
            }
        }

        return SslStreamCertificateContext.Create(leaf, chain, offline: true);
    }
}

/// <summary>A client certificate mapped to a role (mTLS). Section <c>Security:ClientCertificates:Identities</c>.</summary>
public sealed class ClientCertificateIdentity
{
    /// <summary>Name used in logs and as the rate-limit identity.</summary>
    public string Name { get; set; } = "";

    /// <summary>The certificate's subject common name; the certificate must chain to <c>TrustedCaFile</c>.</summary>
    public string? SubjectName { get; set; }

    /// <summary>Or the certificate's SHA-256 fingerprint (hex): that exact certificate, self-signed or not.</summary>
    public string? Sha256 { get; set; }

    /// <summary>The role this certificate acts as.</summary>
    public Role Role { get; set; } = Role.Reader;
}

/// <summary>Client certificates (mTLS) on the TLS listeners. Section <c>Security:ClientCertificates</c>.</summary>
public sealed class ClientCertificateOptions
{
    /// <summary>PEM file of the CAs that issue client certificates (mapped by subject name).</summary>
    public string? TrustedCaFile { get; set; }

    /// <summary>The certificates that may call, and their roles.</summary>
    public List<ClientCertificateIdentity> Identities { get; set; } = [];

    /// <summary>Whether client certificates are asked for at all.</summary>
    public bool Enabled => Identities.Count > 0;
}

/// <summary>
/// Decides which client certificates a TLS listener accepts and which role each one has.
/// A certificate is accepted when its SHA-256 fingerprint is listed, or when it chains to the
/// trusted CA file (client-auth usage, in its validity period) and its subject name is listed.
/// The decision is made once per certificate and kept, so that calls do not build chains.
/// </summary>
public sealed class ClientCertificateAuthority
{
    private readonly ClientCertificateOptions _options;
    private readonly X509Certificate2Collection _roots = [];
    private readonly ConcurrentDictionary<string, (ClientCertificateIdentity? Identity, long Until)> _decided = new(StringComparer.Ordinal);
    private readonly ILogger _logger;
    private readonly LogThrottle _refusals;

    /// <summary>Reads the trusted CA file; a file that does not load stops the daemon with the setting named.</summary>
    public ClientCertificateAuthority(ClientCertificateOptions options, ILogger<ClientCertificateAuthority> logger, TimeProvider time)
    {
        _options = options;
        _logger = logger;
        _refusals = new LogThrottle(20, time);
        if (options.TrustedCaFile is { Length: > 0 } file)
        {
            try
            {
                _roots.ImportFromPemFile(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
            {
                throw new OptionsValidationFailure($"Security:ClientCertificates:TrustedCaFile: cannot read '{file}': {ex.Message}");
            }

            if (_roots.Count == 0)
            {
                throw new OptionsValidationFailure($"Security:ClientCertificates:TrustedCaFile: '{file}' holds no PEM certificate.");
            }
        }
    }

    /// <summary>Whether listeners ask clients for certificates.</summary>
    public bool Enabled => _options.Enabled;

    /// <summary>The identity of a presented certificate, or null when it is not one of ours.</summary>
    public ClientCertificateIdentity? Identify(X509Certificate2 certificate)
    {
        var fingerprint = certificate.GetCertHashString(HashAlgorithmName.SHA256);
        var now = Environment.TickCount64;
        if (_decided.TryGetValue(fingerprint, out var known) && known.Until > now)
        {
            return known.Identity;
        }

        var (identity, refusal) = Decide(certificate, fingerprint);
        if (refusal is not null && _refusals.TryEnter(out var heldBack))
        {
            // Without this line an expired relay certificate looks like a network fault to both sides.
            TlsLog.ClientCertificateRefused(_logger, certificate.Subject, fingerprint, refusal, heldBack);
        }

        if (_decided.Count > 10_000)
        {
            _decided.Clear(); // bounded: a stream of throw-away certificates must not fill memory
        }

        // Decided again after a while, so that a certificate that expires stops working.
        _decided[fingerprint] = (identity, now + 60_000);
        return identity;
    }

    /// <summary>The TLS handshake's check: no certificate is fine (API keys then), a foreign one is refused.</summary>
    public bool Validate(X509Certificate? certificate) =>
        certificate is null || Identify(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData())) is not null;

    /// <summary>The identity, or why the certificate is refused.</summary>
    private (ClientCertificateIdentity? Identity, string? Refusal) Decide(X509Certificate2 certificate, string fingerprint)
    {
        var pinned = _options.Identities.FirstOrDefault(i => string.Equals(i.Sha256?.Replace(":", "", StringComparison.Ordinal), fingerprint, StringComparison.OrdinalIgnoreCase));
        var now = DateTime.Now;
        if (pinned is not null)
        {
            return certificate.NotAfter < now ? (null, $"pinned as '{pinned.Name}' but expired on {certificate.NotAfter.ToUniversalTime():u}")
                : certificate.NotBefore > now ? (null, $"pinned as '{pinned.Name}' but not valid before {certificate.NotBefore.ToUniversalTime():u}")
                : (pinned, null);
        }

        var subject = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        var named = _options.Identities.FirstOrDefault(i => i.SubjectName is { Length: > 0 } n && string.Equals(n, subject, StringComparison.OrdinalIgnoreCase));
        if (named is null)
        {
            return (null, $"not listed: neither its SHA-256 nor its subject name '{subject}' is in Security:ClientCertificates:Identities");
        }

        if (_roots.Count == 0)
        {
            return (null, $"subject '{subject}' is listed as '{named.Name}', but Security:ClientCertificates:TrustedCaFile is not set to check who issued it");
        }

        // Revocation: remove the mapping (private CAs rarely publish CRLs).
        return PrivateTrust.ChainsTo(certificate, _roots, presented: null, PrivateTrust.ClientAuthentication, out var problem)
            ? (named, null)
            : (null, $"subject '{subject}' is listed as '{named.Name}', but the certificate does not chain to Security:ClientCertificates:TrustedCaFile for client authentication: {problem}");
    }
}

internal static partial class TlsLog
{
    [LoggerMessage(EventId = 600, Level = LogLevel.Warning, Message = "Client certificate {Subject} (SHA-256 {Fingerprint}) refused at the TLS handshake: {Reason} ({HeldBack} more refusals not logged in the last minute)")]
    public static partial void ClientCertificateRefused(ILogger logger, string subject, string fingerprint, string reason, int heldBack);

    [LoggerMessage(EventId = 601, Level = LogLevel.Information, Message = "TLS connection from {Remote} closed: it did not negotiate HTTP/2 (ALPN '{Alpn}'), which the gRPC listener needs ({HeldBack} more not logged in the last minute)")]
    public static partial void Http2NotNegotiated(ILogger logger, string remote, string alpn, int heldBack);
}

/// <summary>
/// Chains built against CAs of our own (a private PKI, a test CA) instead of, or besides, the
/// system's roots: for client certificates, for the live check's peers, for the commands that
/// call the daemon.
/// </summary>
public static class PrivateTrust
{
    /// <summary>The TLS client authentication usage (RFC 5280 id-kp-clientAuth).</summary>
    public static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

    /// <summary>
    /// Whether <paramref name="certificate"/> chains to one of <paramref name="roots"/> (the
    /// system's roots when null), using the intermediates the peer sent (<paramref name="presented"/>,
    /// as the TLS stack built it), judged at <paramref name="at"/> (now when null). Revocation is
    /// not checked. <paramref name="problem"/> says why not, when it does not.
    /// </summary>
    public static bool ChainsTo(X509Certificate2 certificate, IEnumerable<X509Certificate2>? roots, X509Chain? presented, Oid? usage, out string? problem, DateTimeOffset? at = null)
    {
        var (trusted, status) = Build(certificate, roots, presented, usage, at, X509RevocationMode.NoCheck);
        problem = trusted ? null : string.Join("; ", status.Select(s => s.StatusInformation.Trim()).Distinct());
        return trusted;
    }

    /// <summary>The chain built as <see cref="ChainsTo"/> says, with revocation checked as asked, and every status it ended with.</summary>
    public static (bool Trusted, X509ChainStatus[] Status) Build(
        X509Certificate2 certificate, IEnumerable<X509Certificate2>? roots, X509Chain? presented, Oid? usage, DateTimeOffset? at, X509RevocationMode revocation)
    {
        using var chain = new X509Chain();
        if (roots is not null)
        {
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(roots.ToArray());
        }

        chain.ChainPolicy.RevocationMode = revocation;
        if (at is { } time)
        {
            chain.ChainPolicy.VerificationTime = time.LocalDateTime;
            chain.ChainPolicy.VerificationTimeIgnored = false;
        }

        if (usage is not null)
        {
            chain.ChainPolicy.ApplicationPolicy.Add(usage);
        }

        foreach (var element in presented?.ChainElements.Skip(1) ?? [])
        {
            chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        }

        var trusted = chain.Build(certificate);
        return (trusted, chain.ChainStatus);
    }
}
