using System.Text;
using MtaStsReporting.Daemon.Ingestion;
using MtaStsReporting.Daemon.Tests.Support;
using MtaStsReporting.Domain.TlsRpt;

namespace MtaStsReporting.Daemon.Tests.Ingestion;

/// <summary>What the reader takes from the mail around a report: the oddities it flags and what it infers.</summary>
public sealed class ReportReaderTests
{
    private static readonly ReportReader Reader = new(new ReportLimits());

    /// <summary>A report whose policy has no policy-domain, as some senders write it.</summary>
    private static byte[] WithoutPolicyDomain(string reportId) =>
        Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(TestReports.Report(reportId, "example.com", "Reporter")).Replace(",\"policy-domain\":\"example.com\"", string.Empty, StringComparison.Ordinal));

    private static string Flag(ReportReadResult read, string code) =>
        read.Report!.Flags.Single(f => f.Code == code).Detail;

    [Theory]
    // header lines of the mail → the domain the report's policy is given
    [InlineData("TLS-Report-Domain: header.example\r\n", "Report Domain: subject.example Submitter: r Report-ID: <r-1>", "header.example")]
    [InlineData("", "Report Domain: subject.example Submitter: r Report-ID: <r-1>", "subject.example")]
    public void A_policy_without_domain_takes_it_from_the_mail(string header, string subject, string domain)
    {
        var mail = "From: r@reporter.example\r\nTo: t@example.com\r\n" + $"Subject: {subject}\r\n{header}MIME-Version: 1.0\r\n" +
                   "Content-Type: application/tlsrpt+json\r\n\r\n" + Encoding.UTF8.GetString(WithoutPolicyDomain("r-1"));

        var read = Reader.ReadMail(Encoding.ASCII.GetBytes(mail));

        Assert.Equal(ReadStatus.Report, read.Status);
        Assert.Equal(domain, read.Report!.Policies.Single().PolicyDomain);
        Assert.Contains(domain, Flag(read, ReportFlags.PolicyDomainInferred), StringComparison.Ordinal);
    }

    [Fact]
    public void A_policy_without_domain_in_a_bare_file_takes_it_from_the_rfc_file_name()
    {
        var read = Reader.ReadPayload(WithoutPolicyDomain("r-2"), "reporter.example!file.example!1763596800!1763683199.json");
        Assert.Equal("file.example", read.Report!.Policies.Single().PolicyDomain);
    }

    [Fact]
    public void A_subject_report_id_that_differs_is_flagged()
    {
        var mail = TestReports.Mail(TestReports.Attachment("outer", "application/tlsrpt+gzip", TestReports.Gzip(TestReports.Report("in-the-report", "example.com", "Reporter"))));

        var read = Reader.ReadMail(mail); // the subject says Report-ID: <test>

        Assert.Equal("subject says 'test', report says 'in-the-report'", Flag(read, ReportFlags.ReportIdDiffers));
    }

    [Theory]
    [InlineData("application/tlsrpt+gzip", true)]  // declared gzip, holds plain JSON
    [InlineData("application/tlsrpt+json", false)]
    public void A_part_declared_gzip_that_holds_json_is_flagged(string declared, bool flagged)
    {
        var mail = TestReports.Mail(TestReports.Attachment("outer", declared, TestReports.Report("test", "example.com", "Reporter")));

        var read = Reader.ReadMail(mail);

        Assert.Equal(ReadStatus.Report, read.Status);
        Assert.Equal(flagged, read.Report!.Flags.Any(f => f.Code == ReportFlags.MediaTypeMismatch));
        if (flagged)
        {
            Assert.Equal("part declared application/tlsrpt+gzip holds json", Flag(read, ReportFlags.MediaTypeMismatch));
        }
    }

    [Fact]
    public void A_dmarc_report_is_not_a_broken_tls_report()
    {
        var read = Reader.ReadMail(TestReports.DmarcMail("dmarc-9@google.com"));
        Assert.Equal(ReadStatus.NotAReport, read.Status);
        Assert.Contains("DMARC aggregate report", read.Error, StringComparison.Ordinal);
    }
}
