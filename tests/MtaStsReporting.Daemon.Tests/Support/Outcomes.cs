using Google.Protobuf.WellKnownTypes;
using MtaStsReporting.Api.V1;

namespace MtaStsReporting.Daemon.Tests.Support;

/// <summary>Builders of relay API messages, valid unless a test spoils them.</summary>
public static class Outcomes
{
    public static readonly string[] TestingPolicyLines = ["version: STSv1", "mode: testing", "mx: mx1.example.com", "mx: *.backup.example.com", "max_age: 86400"];

    public static AppliedPolicy StsTesting() => new()
    {
        PolicyType = PolicyType.Sts,
        PolicyString = { TestingPolicyLines },
        MxHost = { "mx1.example.com", "*.backup.example.com" },
    };

    public static SessionOutcome Success(string domain, DateTimeOffset time, long count = 1) => new()
    {
        PolicyDomain = domain,
        Time = Timestamp.FromDateTimeOffset(time),
        Policy = StsTesting(),
        Count = count,
    };

    public static SessionOutcome Failure(string domain, DateTimeOffset time, ResultType type, long count = 1, string sendingIp = "198.51.100.7",
        string mx = "mx1.example.com") => new()
    {
        PolicyDomain = domain,
        Time = Timestamp.FromDateTimeOffset(time),
        Policy = StsTesting(),
        Count = count,
        Failure = new FailureDetail
        {
            ResultType = type,
            SendingMtaIp = sendingIp,
            ReceivingMxHostname = mx,
            ReceivingMxHelo = "mx1.example.com",
            ReceivingIp = "192.0.2.25",
            FailureReasonCode = "X509_V_ERR_CERT_HAS_EXPIRED",
        },
    };

    public static PolicyFetchOutcome FetchOk(string domain, DateTimeOffset time, string txtId = "20261101T000000") => new()
    {
        PolicyDomain = domain,
        Time = Timestamp.FromDateTimeOffset(time),
        TxtId = txtId,
        Policy = new FetchedPolicy { PolicyText = string.Join("\r\n", TestingPolicyLines) + "\r\n" },
    };

    public static PolicyFetchOutcome FetchFailed(string domain, DateTimeOffset time, int httpStatus, string reason) => new()
    {
        PolicyDomain = domain,
        Time = Timestamp.FromDateTimeOffset(time),
        Failure = new PolicyFetchFailure { ResultType = ResultType.StsPolicyFetchError, HttpStatus = httpStatus, Reason = reason },
    };

    public static OutcomeBatch Batch(string id, params SessionOutcome[] sessions) => new() { BatchId = id, SessionOutcomes = { sessions } };
}
