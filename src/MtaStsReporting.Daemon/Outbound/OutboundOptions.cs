using MtaStsReporting.Daemon.Ingestion.Imap;
using MtaStsReporting.Domain.TlsRpt.Outbound;

namespace MtaStsReporting.Daemon.Outbound;

/// <summary>
/// The reports our relays owe recipient domains (RFC 8460): who we are, how mail and HTTPS
/// reports leave, and when. Section <c>Outbound</c>. Off until <see cref="Enabled"/> is set: a
/// daemon installed to read reports must not start mailing the world.
/// </summary>
public sealed class OutboundOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Outbound";

    /// <summary>Builds and sends the daily reports.</summary>
    public bool Enabled { get; set; }

    /// <summary>RFC 8460 <c>organization-name</c>.</summary>
    public string OrganizationName { get; set; } = "";

    /// <summary>RFC 8460 <c>contact-info</c>: an address or URI receivers can write to.</summary>
    public string ContactInfo { get; set; } = "";

    /// <summary>Our domain as submitter: in the file name, subject, TLS-Report-Submitter, report ids, and the DKIM signature.</summary>
    public string SubmitterDomain { get; set; } = "";

    /// <summary>Time after a UTC day ends before its reports are built.</summary>
    public TimeSpan BuildDelay { get; set; } = DeliverySchedule.Default.BuildDelay;

    /// <summary>First attempts are spread over this much time after the build.</summary>
    public TimeSpan SpreadWindow { get; set; } = DeliverySchedule.Default.SpreadWindow;

    /// <summary>Days back that are still built when missing (after a stop, or on first start).</summary>
    public int LookbackDays { get; set; } = 3;

    /// <summary>Delay after the first temporary failure; doubled after each further one.</summary>
    public TimeSpan FirstRetry { get; set; } = DeliverySchedule.Default.FirstRetry;

    /// <summary>Longest delay between two attempts.</summary>
    public TimeSpan MaxRetry { get; set; } = DeliverySchedule.Default.MaxRetry;

    /// <summary>A report not delivered this long after its first planned attempt is given up for that destination.</summary>
    public TimeSpan GiveUpAfter { get; set; } = DeliverySchedule.Default.GiveUpAfter;

    /// <summary>A destination whose reports failed this many times in a row is suppressed.</summary>
    public int SuppressAfter { get; set; } = DeliverySchedule.Default.SuppressAfter;

    /// <summary>How long a suppressed destination gets no attempts.</summary>
    public TimeSpan SuppressFor { get; set; } = DeliverySchedule.Default.SuppressFor;

    /// <summary>Deliveries attempted at the same time.</summary>
    public int MaxParallelDeliveries { get; set; } = 4;

    /// <summary>Time allowed for one delivery attempt (connect, send, answer).</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often the sender looks for work when nothing is due sooner.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The mail side: the submission server and the DKIM key.</summary>
    public OutboundMailOptions Mail { get; set; } = new();

    /// <summary>CA file trusted for https: destinations besides the system's (tests, internal receivers).</summary>
    public string? HttpsTrustedCaFile { get; set; }

    /// <summary>The delivery schedule these settings make.</summary>
    public DeliverySchedule Schedule => new(BuildDelay, SpreadWindow, FirstRetry, MaxRetry, GiveUpAfter, SuppressAfter, SuppressFor);

    /// <summary>The submitter these settings name.</summary>
    public ReportSubmitter Submitter => new(OrganizationName, ContactInfo, SubmitterDomain);
}

/// <summary>How <c>mailto:</c> reports leave: an SMTP server that relays for us, and the DKIM key that signs them (RFC 8460 §5.3).</summary>
public sealed class OutboundMailOptions
{
    /// <summary>The SMTP server (a local MTA or the organisation's submission server).</summary>
    public string Host { get; set; } = "";

    /// <summary>Port; 0 for the default of the TLS mode (465 implicit, 587 STARTTLS, 25 none).</summary>
    public int Port { get; set; }

    /// <summary>TLS mode.</summary>
    public MailboxTls Tls { get; set; } = MailboxTls.StartTls;

    /// <summary>Login name, when the server wants one.</summary>
    public string? User { get; set; }

    /// <summary>File holding the password (first line).</summary>
    public string? PasswordFile { get; set; }

    /// <summary>CA file trusted for the server besides the system's.</summary>
    public string? TrustedCaFile { get; set; }

    /// <summary>How the server certificate's revocation is checked.</summary>
    public RevocationCheck RevocationCheck { get; set; } = RevocationCheck.BestEffort;

    /// <summary>The From address; defaults to tlsrpt-noreply@ the submitter domain.</summary>
    public string? From { get; set; }

    /// <summary>PEM file of the DKIM private key (RSA).</summary>
    public string? DkimKeyFile { get; set; }

    /// <summary>DKIM selector: the key is published at <c>&lt;selector&gt;._domainkey.&lt;domain&gt;</c>.</summary>
    public string? DkimSelector { get; set; }

    /// <summary>DKIM signing domain (d=); defaults to the submitter domain.</summary>
    public string? DkimDomain { get; set; }

    /// <summary>The port the TLS mode implies when <see cref="Port"/> is 0.</summary>
    public int EffectivePort => Port != 0 ? Port : Tls switch { MailboxTls.Implicit => 465, MailboxTls.StartTls => 587, _ => 25 };
}
