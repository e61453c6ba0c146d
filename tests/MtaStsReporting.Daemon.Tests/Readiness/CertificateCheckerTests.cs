using System.Net.Security;
using MtaStsReporting.Daemon.Readiness;
using MtaStsReporting.Daemon.Tests.Support;

namespace MtaStsReporting.Daemon.Tests.Readiness;

/// <summary>
/// The live check judges a certificate at its own clock, not the machine's: the verdict a check
/// reports (trusted, expired, days left) must not change with the day the check runs.
/// </summary>
public sealed class CertificateCheckerTests
{
    private static readonly DateTimeOffset CheckTime = new(2020, 2, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    // days of validity around the check's clock: (not before, not after) → trusted at that clock?
    [InlineData(-30, 30, true)]
    [InlineData(-30, -1, false)]  // expired a day before the check
    [InlineData(1, 30, false)]    // not valid yet
    public void Trust_is_judged_at_the_checkers_clock(int fromDays, int toDays, bool trusted)
    {
        using var pki = new TestPki(CheckTime);
        using var certificate = pki.Issue(["mx.example"], CheckTime.AddDays(fromDays), CheckTime.AddDays(toDays));
        var checker = new CertificateChecker([pki.Authority], new FixedTimeProvider(CheckTime));

        // The TLS stack validates at the machine's clock (years later): it reports chain errors for every one.
        var verdict = checker.Judge(certificate, chain: null, SslPolicyErrors.RemoteCertificateChainErrors);

        Assert.Equal(trusted, verdict.Trusted);
        Assert.Equal(trusted, verdict.Problem is null);
        Assert.Equal(CheckTime.AddDays(toDays).UtcDateTime.Date, verdict.NotAfter.UtcDateTime.Date);
    }

    [Fact]
    public void A_certificate_valid_today_is_refused_by_a_clock_past_its_expiry()
    {
        using var pki = new TestPki();
        using var certificate = pki.Issue("mx.example");
        var checker = new CertificateChecker([pki.Authority], new FixedTimeProvider(pki.Now.AddDays(91)));

        var verdict = checker.Judge(certificate, chain: null, SslPolicyErrors.None);

        Assert.False(verdict.Trusted);
        Assert.Contains("expired", verdict.Problem, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_name_mismatch_reported_by_the_stack_is_kept_beside_trust()
    {
        using var pki = new TestPki(CheckTime);
        using var certificate = pki.Issue("mail.unrelated.example");
        var checker = new CertificateChecker([pki.Authority], new FixedTimeProvider(CheckTime));

        var verdict = checker.Judge(certificate, chain: null, SslPolicyErrors.RemoteCertificateNameMismatch);

        Assert.True(verdict.Trusted);
        Assert.False(verdict.NameMatches);
        Assert.Equal("the certificate does not name the host", verdict.Problem);
    }
}
