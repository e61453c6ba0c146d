using System.Globalization;
using Grpc.Core;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Readiness;
using MtaStsReporting.Daemon.Security;
using MtaStsReporting.Domain.MtaSts;
using MtaStsReporting.Domain.Readiness;
using MtaStsReporting.Persistence.Store;
using PolicyConfirmation = MtaStsReporting.Api.V1.PolicyConfirmation;
using PolicyRefusal = MtaStsReporting.Api.V1.PolicyRefusal;
using PolicyState = MtaStsReporting.Api.V1.PolicyState;
using PolicyVersion = MtaStsReporting.Api.V1.PolicyVersion;
using StoredState = MtaStsReporting.Persistence.Policies.PolicyState;
using StoredVersion = MtaStsReporting.Persistence.Policies.PolicyVersion;

namespace MtaStsReporting.Daemon.PolicyHosting;

/// <summary>The policies API (admin only): reads the store, asks <see cref="PolicyChanger"/> for changes, translates.</summary>
public sealed class PoliciesService(PolicyChanger changer, ReportingStore store) : Policies.PoliciesBase
{
    /// <inheritdoc />
    public override async Task<ListPoliciesResponse> ListPolicies(ListPoliciesRequest request, ServerCallContext context)
    {
        var response = new ListPoliciesResponse();
        response.Policies.AddRange((await store.Policies.ServedAsync(context.CancellationToken)).Select(v => ToProto(v, served: true)));
        return response;
    }

    /// <inheritdoc />
    public override async Task<PolicyVersion> GetPolicy(GetPolicyRequest request, ServerCallContext context) =>
        ToProto(await store.Policies.ServedAsync(Name(request.Domain), context.CancellationToken)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"no policy for {request.Domain} is served here")), served: true);

    /// <inheritdoc />
    public override async Task<PolicyVersions> GetPolicyHistory(GetPolicyRequest request, ServerCallContext context)
    {
        var domain = Name(request.Domain);
        var history = await store.Policies.HistoryAsync(domain, context.CancellationToken);
        if (history.Count == 0)
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"no policy for {domain} was ever served here"));
        }

        var current = (await store.Policies.ServedAsync(domain, context.CancellationToken))?.Version;
        var response = new PolicyVersions { Domain = domain };
        response.Versions.AddRange(history.Select(v => ToProto(v, v.Version == current)));
        return response;
    }

    /// <inheritdoc />
    public override Task<PolicyChange> SetPolicy(SetPolicyRequest request, ServerCallContext context) => Run(() => changer.SetAsync(
        request.Domain, request.Mode, [.. request.Mx], request.HasMaxAge ? request.MaxAge : null, request.Force, request.Reason, request.DryRun,
        AuthorizationInterceptor.Caller(context), context.CancellationToken));

    /// <inheritdoc />
    public override Task<PolicyChange> ApplyReadiness(ApplyReadinessRequest request, ServerCallContext context) => Run(() => changer.ApplyAsync(
        request.Domain, request.DryRun, request.Reason, AuthorizationInterceptor.Caller(context), context.CancellationToken));

    /// <inheritdoc />
    public override async Task<PolicyConfirmation> ConfirmPolicy(GetPolicyRequest request, ServerCallContext context)
    {
        try
        {
            var c = await changer.ConfirmAsync(request.Domain, context.CancellationToken);
            return new PolicyConfirmation
            {
                Domain = c.Version.Domain, Confirmed = c.Confirmed, Message = c.Message, TxtIdSeen = c.IdSeen ?? string.Empty,
                TxtIdExpected = c.Version.PolicyId, PolicyMatches = c.PolicyMatches, Version = ToProto(c.Version, served: true),
            };
        }
        catch (PolicyRequestException ex)
        {
            throw new RpcException(new Status(ex.Status, ex.Message));
        }
    }

    private static async Task<PolicyChange> Run(Func<Task<PolicyChangeResult>> change)
    {
        PolicyChangeResult result;
        try
        {
            result = await change();
        }
        catch (PolicyRequestException ex)
        {
            throw new RpcException(new Status(ex.Status, ex.Message));
        }

        var proto = new PolicyChange
        {
            Domain = result.Domain,
            Outcome = result.Kind switch
            {
                ChangeKind.Changed => ChangeOutcome.Changed,
                ChangeKind.Unchanged => ChangeOutcome.Unchanged,
                ChangeKind.Refused => ChangeOutcome.Refused,
                ChangeKind.Failed => ChangeOutcome.Failed,
                _ => ChangeOutcome.DryRun,
            },
            Message = result.Message,
            DnsUpdated = result.DnsUpdated,
        };
        if (result.Before is { } before)
        {
            proto.Before = ToProto(before, served: result.Kind != ChangeKind.Changed);
        }

        if (result.After is { } after)
        {
            proto.After = ToProto(after, served: result.Kind == ChangeKind.Changed);
        }

        proto.Refusals.AddRange(result.Refusals.Select(r => new PolicyRefusal { Code = r.Code, Message = r.Message }));
        proto.Steps.AddRange(result.Steps);
        if (result.Judgement is { } judgement)
        {
            proto.Verdict = ReadinessService.ToProto(judgement);
        }

        return proto;
    }

    /// <summary>A stored version as the API gives it.</summary>
    public static PolicyVersion ToProto(StoredVersion v, bool served)
    {
        var policy = StsPolicy.Parse(v.PolicyText).Policy;
        var proto = new PolicyVersion
        {
            Domain = v.Domain,
            Version = v.Version,
            Id = v.PolicyId,
            Mode = policy?.Mode.ToRfcName() ?? string.Empty,
            MaxAge = policy?.MaxAge ?? 0,
            PolicyText = v.PolicyText,
            TxtRecord = $"_mta-sts.{v.Domain}. TXT \"{new StsRecord(v.PolicyId).ToText()}\"",
            State = v.State switch
            {
                StoredState.Served => PolicyState.Served,
                StoredState.Confirmed => PolicyState.Confirmed,
                _ => PolicyState.Failed,
            },
            CreatedAt = Rfc3339(v.CreatedAt),
            UpdatedAt = Rfc3339(v.UpdatedAt),
            Actor = v.Actor,
            Origin = v.Origin,
            Reason = v.Reason,
            Forced = v.Forced,
            // The verdict is kept by its name (READY, ROLL_BACK…); none when the change rested on none.
            Verdict = Enum.GetValues<Domain.Readiness.Verdict>().Where(x => x.ToName() == v.Verdict).Select(ReadinessService.ToProto)
                .DefaultIfEmpty(ReadinessOutcome.Unspecified).First(),
            Outcome = v.Outcome,
            Served = served,
        };
        proto.Mx.AddRange(policy?.Mx.Select(m => m.Value) ?? []);
        proto.Overridden.AddRange(v.Overridden);
        proto.Evidence.AddRange(PolicyChanger.ReadEvidence(v.Evidence).Select(ReadinessService.ToProto));
        return proto;
    }

    private static string Name(string domain) => Domain.Names.DomainName.TryParse(domain, out var name, out var error)
        ? name.Value
        : throw new RpcException(new Status(StatusCode.InvalidArgument, "domain: " + error));

    private static string Rfc3339(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
