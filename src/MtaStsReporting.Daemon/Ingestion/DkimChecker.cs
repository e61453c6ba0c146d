using MtaStsReporting.Domain.TlsRpt;
using DnsClient;
using MimeKit;
using MimeKit.Cryptography;
using MtaStsReporting.Persistence.Reports;
using Org.BouncyCastle.Crypto;

namespace MtaStsReporting.Daemon.Ingestion;

/// <summary>Checks the DKIM signatures of report mail (RFC 8460 §5.3: reports must be signed).</summary>
public interface IDkimChecker
{
    /// <summary>
    /// <c>pass</c> when a signature verifies (the first that does); <c>temperror</c> when a key
    /// could not be looked up (DNS unreachable: RFC 6376 §6.1.2 TEMPFAIL); <c>fail</c> when
    /// every signature fails; <c>none</c> when the mail is unsigned.
    /// </summary>
    Task<DkimVerdict> CheckAsync(MimeMessage message, CancellationToken cancellationToken);
}

/// <summary>MimeKit's verifier, with public keys looked up in DNS through DnsClient.</summary>
public sealed class DkimChecker(ILookupClient dns) : IDkimChecker
{
    private readonly DkimVerifier _verifier = new(new DnsKeyLocator(dns));

    /// <inheritdoc />
    public async Task<DkimVerdict> CheckAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        var signatures = message.Headers.Where(h => h.Id == HeaderId.DkimSignature).ToList();
        if (signatures.Count == 0)
        {
            return DkimVerdict.None;
        }

        DkimVerdict? failure = null;
        foreach (var signature in signatures)
        {
            var domain = SignatureTag(signature.Value, "d");
            try
            {
                if (await _verifier.VerifyAsync(message, signature, cancellationToken))
                {
                    return new DkimVerdict("pass", domain, null);
                }

                failure = new DkimVerdict("fail", domain, "the signature does not verify");
            }
            catch (Exception ex) when (ex is DnsResponseException or KeyLookupFailedException)
            {
                failure = failure is { Result: "fail" } ? failure : new DkimVerdict("temperror", domain, "key lookup failed: " + ex.Message);
            }
            catch (Exception ex) when (ex is FormatException or NotSupportedException or InvalidOperationException or ArgumentException)
            {
                failure = new DkimVerdict("fail", domain, ex.Message);
            }
        }

        return failure!;
    }

    private static string? SignatureTag(string value, string tag)
    {
        foreach (var part in value.Split(';'))
        {
            var kv = part.Split('=', 2);
            if (kv.Length == 2 && kv[0].Trim().Equals(tag, StringComparison.OrdinalIgnoreCase))
            {
                return kv[1].Trim().ToLowerInvariant();
            }
        }

        return null;
    }

    private sealed class DnsKeyLocator(ILookupClient dns) : DkimPublicKeyLocatorBase
    {
        public override AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
            LocatePublicKeyAsync(methods, domain, selector, cancellationToken).GetAwaiter().GetResult();

        public override async Task<AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken cancellationToken = default)
        {
            var name = $"{selector}._domainkey.{domain}";
            var response = await dns.QueryAsync(name, QueryType.TXT, cancellationToken: cancellationToken);
            // RFC 6376 §6.1.2: a DNS failure (SERVFAIL, REFUSED…) is TEMPFAIL; only a name that
            // does not exist, or holds no key, is a PERMFAIL.
            if (response.HasError && response.Header.ResponseCode != DnsHeaderResponseCode.NotExistentDomain)
            {
                throw new KeyLookupFailedException($"{name}: {response.Header.ResponseCode} ({response.ErrorMessage})");
            }

            // A key record may be split into several strings (RFC 6376 §3.6.2.2): join them.
            var record = response.Answers.TxtRecords().Select(r => string.Concat(r.Text)).FirstOrDefault(t => t.Contains("p=", StringComparison.Ordinal))
                ?? throw new InvalidOperationException($"no DKIM key at {name}");
            return GetPublicKey(record);
        }
    }

    /// <summary>The key could not be looked up (not: there is no key).</summary>
    private sealed class KeyLookupFailedException(string message) : Exception(message);
}
