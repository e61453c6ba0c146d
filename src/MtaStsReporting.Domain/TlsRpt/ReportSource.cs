namespace MtaStsReporting.Domain.TlsRpt;

/// <summary>Where an inbound report came from.</summary>
/// <param name="Kind"><c>imap</c>, <c>graph</c>, <c>file</c>, <c>https</c> or <c>grpc</c>.</param>
/// <param name="Name">Mailbox and folder, file path, or remote address.</param>
/// <param name="MessageId">Message-ID of the carrying mail.</param>
public sealed record ReportSource(string Kind, string Name, string? MessageId);
