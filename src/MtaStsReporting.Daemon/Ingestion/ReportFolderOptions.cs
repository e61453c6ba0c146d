using MtaStsReporting.Daemon.Ingestion.Imap;

namespace MtaStsReporting.Daemon.Ingestion;

/// <summary>
/// What every report mailbox reader (IMAP, Microsoft Graph) is told about folders and timing:
/// where reports arrive, where they go once committed, what becomes of other mail, and how
/// often to look and retry.
/// </summary>
public abstract class ReportFolderOptions
{
    /// <summary>Folder the reports arrive in (levels separated by '/').</summary>
    public string Folder { get; set; } = "INBOX";

    /// <summary>Folder a message moves to once its report is committed (created if missing).</summary>
    public string ProcessedFolder { get; set; } = "TLSRPT/Processed";

    /// <summary>Folder for TLS reports that cannot be read (created if missing).</summary>
    public string InvalidFolder { get; set; } = "TLSRPT/Invalid";

    /// <summary>What to do with mail that is not a TLS report (DMARC reports, bounces).</summary>
    public OtherMail OtherMail { get; set; } = OtherMail.Leave;

    /// <summary>Where <see cref="OtherMail.Move"/> puts it (created if missing).</summary>
    public string OtherFolder { get; set; } = "TLSRPT/Other";

    /// <summary>How often to look for new mail (IMAP: when the server has no IDLE; Graph: the delta query).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Longest wait between attempts after a failure (backoff doubles from one second; a refusal waits this long at once).</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Where a message goes once its group is committed, by its <see cref="IngestStatus"/>: a report read (imported, or a copy of
    /// one already stored) to <see cref="ProcessedFolder"/>, a TLS report that cannot be read to
    /// <see cref="InvalidFolder"/>, other mail to <see cref="OtherFolder"/> with
    /// <see cref="OtherMail.Move"/>; anything else is left where it is.
    /// </summary>
    public MessageDestination DestinationOf(string status) => status switch
    {
        IngestStatus.Imported or IngestStatus.Duplicate or IngestStatus.Conflict => MessageDestination.Processed,
        IngestStatus.Invalid => MessageDestination.Invalid,
        IngestStatus.NotAReport when OtherMail == OtherMail.Move => MessageDestination.Other,
        _ => MessageDestination.Left,
    };

    /// <summary>The folder and timing mistakes, each named with <paramref name="at"/>.</summary>
    internal void Validate(string at, List<string> errors)
    {
        if (PollInterval < TimeSpan.FromSeconds(1))
        {
            errors.Add($"{at}:PollInterval must be at least 00:00:01.");
        }

        if (Folder == ProcessedFolder || Folder == InvalidFolder || (OtherMail == OtherMail.Move && Folder == OtherFolder))
        {
            errors.Add($"{at}: ProcessedFolder, InvalidFolder and OtherFolder must differ from Folder.");
        }
    }
}

/// <summary>Where a message goes once its group is committed (<see cref="ReportFolderOptions.DestinationOf"/>).</summary>
public enum MessageDestination
{
    /// <summary>To the processed folder.</summary>
    Processed,

    /// <summary>To the invalid folder.</summary>
    Invalid,

    /// <summary>To the folder for other mail.</summary>
    Other,

    /// <summary>Left in the folder (marked seen with <see cref="OtherMail.MarkSeen"/>).</summary>
    Left,
}
