namespace MtaStsReporting.Domain.TlsRpt.Outbound;

/// <summary>
/// Who sends our reports (RFC 8460 §4.4): <c>organization-name</c>, <c>contact-info</c>, and the
/// submitter domain that names us in the file name, the subject and <c>TLS-Report-Submitter</c>
/// (§5.3), and signs the mail with DKIM (§5.3.1).
/// </summary>
public sealed record ReportSubmitter(string OrganizationName, string ContactInfo, string Domain);
