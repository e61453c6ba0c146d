using System.Globalization;
using System.Text.Json;
using Grpc.Core;
using Microsoft.Extensions.Options;
using MtaStsReporting.Daemon.Readiness;
using MtaStsReporting.Domain.MtaSts;
using MtaStsReporting.Domain.Names;
using MtaStsReporting.Domain.Readiness;
using MtaStsReporting.Persistence.Policies;
using MtaStsReporting.Persistence.Store;

namespace MtaStsReporting.Daemon.PolicyHosting;

/// <summary>What a change asked for did.</summary>
public enum ChangeKind
{
    /// <summary>The new version is served (and, with dynamic DNS, the record updated).</summary>
    Changed,

    /// <summary>Nothing to do.</summary>
    Unchanged,

    /// <summary>Refused: it would break delivery. Nothing changed.</summary>
    Refused,

    /// <summary>Failed half-way; the version before it is served again.</summary>
    Failed,

    /// <summary>What would change; nothing changed.</summary>
    DryRun,
}

/// <summary>A policy change asked for, and what it did.</summary>
/// <param name="Domain">The policy domain.</param>
/// <param name="Kind">What it did.</param>
/// <param name="Message">One sentence: what happened, and what to do next.</param>
/// <param name="Before">The version served before; null for a new domain.</param>
/// <param name="After">The new version; the one proposed for a dry run or a refusal (not stored then); null when unchanged.</param>
/// <param name="Refusals">Why it was refused, or what was forced through.</param>
/// <param name="Steps">What was done, or would be done, in order.</param>
/// <param name="DnsUpdated">The record was updated through RFC 2136.</param>
/// <param name="Judgement">The readiness verdict it rested on, when one was needed.</param>
public sealed record PolicyChangeResult(
    string Domain, ChangeKind Kind, string Message, PolicyVersion? Before, PolicyVersion? After, IReadOnlyList<PolicyRefusal> Refusals,
    IReadOnlyList<string> Steps, bool DnsUpdated, Judgement? Judgement);

/// <summary>What the live check saw of the version served.</summary>
/// <param name="Version">The version served (its state as now recorded).</param>
/// <param name="Confirmed">DNS gives its id and the policy fetched is its text.</param>
/// <param name="Message">What was seen, in a sentence.</param>
/// <param name="IdSeen">The id DNS gave; null when none.</param>
/// <param name="PolicyMatches">The policy fetched is the one served.</param>
public sealed record ConfirmationResult(PolicyVersion Version, bool Confirmed, string Message, string? IdSeen, bool PolicyMatches);

/// <summary>A request that cannot be carried out as asked (unknown domain, bad value, hosting off).</summary>
public sealed class PolicyRequestException(StatusCode status, string message) : Exception(message)
{
    /// <summary>How the API answers it.</summary>
    public StatusCode Status { get; } = status;
}

/// <summary>
/// Changes one of our own policies in one safe step. The rules that refuse a change live in
/// <see cref="PolicyChangeRules"/>; here is their order of work, which is the safe one (RFC 8461
/// §3.1, §3.3): the new version, with a new id, is served first; then the <c>_mta-sts</c> record
/// is updated (through RFC 2136 when configured, else by the admin); then the live check confirms
/// that DNS gives the new id and that the policy fetched is the new one. A sender that sees the
/// new id before then still fetches the new policy. If the DNS update is refused, the version
/// before is served again: the policy in force never changes without its record.
/// </summary>
public sealed class PolicyChanger(
    ReportingStore store, ServedPolicies served, PolicyCertificates certificates, StsRecordUpdater updater, ReadinessJudge judge,
    DnsLookup dns, PolicyFetcher fetcher, IOptions<PolicyHostingOptions> options, TimeProvider time)
{
    /// <summary>A week: the <c>max_age</c> of a new domain's policy when none is given.</summary>
    public const long DefaultMaxAge = 604_800;

    /// <summary>
    /// Sets a domain's mode, mx lines and max_age (each kept from the version served when not
    /// given); a domain not served yet is added.
    /// </summary>
    public async Task<PolicyChangeResult> SetAsync(
        string domainText, string? mode, IReadOnlyList<string> mx, long? maxAge, bool force, string reason, bool dryRun, string actor, CancellationToken cancellationToken)
    {
        var domain = Domain(domainText);
        RequireHosting();
        var before = await store.Policies.ServedAsync(domain.Value, cancellationToken);
        var current = before is null ? null : StsPolicy.Parse(before.PolicyText).Policy;
        if (before is null && certificates.Uncovered(["mta-sts." + domain.Value]) is { } uncovered)
        {
            throw new PolicyRequestException(StatusCode.FailedPrecondition,
                $"no certificate of PolicyHosting:Certificates names {uncovered}; senders would refuse its policy (RFC 8461 §3.3): add one first.");
        }

        var lines = new List<string>
        {
            "version: STSv1",
            "mode: " + (mode is { Length: > 0 } ? mode : current?.Mode.ToRfcName() ?? "testing"),
        };
        lines.AddRange((mx.Count > 0 ? mx : current?.Mx.Select(m => m.Value) ?? []).Select(m => "mx: " + m));
        lines.Add("max_age: " + (maxAge ?? current?.MaxAge ?? DefaultMaxAge).ToString(CultureInfo.InvariantCulture));
        var parsed = StsPolicy.Parse(string.Join('\n', lines));
        if (!parsed.IsValid)
        {
            throw new PolicyRequestException(StatusCode.InvalidArgument, $"the policy would not be valid: {parsed.Error}.");
        }

        var proposed = parsed.Policy;
        if (current is not null && proposed.ToText() == current.ToText())
        {
            return new PolicyChangeResult(domain.Value, ChangeKind.Unchanged, $"The policy served for {domain.Value} is already so (version {before!.Version}, id {before.PolicyId}); nothing changed.",
                before, null, [], [], false, null);
        }

        // A verdict is only needed for a policy in enforce; the live check behind it takes a while.
        var judgement = proposed.Mode == StsPolicyMode.Enforce ? await judge.JudgeAsync(domain, cancellationToken) : null;
        var (liveMx, mxError) = await LiveMxAsync(domain, cancellationToken);
        var refusals = PolicyChangeRules.Check(current, proposed, liveMx, mxError, judgement?.Result.Verdict);
        return await StepAsync(domain, before, proposed, refusals, force, "set", reason, actor, judgement, dryRun, cancellationToken);
    }

    /// <summary>
    /// The one step readiness allows: READY in testing → enforce; ROLL_BACK in enforce → testing;
    /// any other verdict changes nothing and says why.
    /// </summary>
    public async Task<PolicyChangeResult> ApplyAsync(string domainText, bool dryRun, string reason, string actor, CancellationToken cancellationToken)
    {
        var domain = Domain(domainText);
        RequireHosting();
        var before = await store.Policies.ServedAsync(domain.Value, cancellationToken)
            ?? throw new PolicyRequestException(StatusCode.NotFound,
                $"no policy for {domain.Value} is served here: add it with 'policy set {domain.Value} --mode testing --mx …' (or PolicyHosting:Domains), or change the policy where it is hosted.");
        var current = StsPolicy.Parse(before.PolicyText).Policy!;
        var judgement = await judge.JudgeAsync(domain, cancellationToken);
        var verdict = judgement.Result.Verdict;
        var live = judgement.Check.Findings;

        // The verdict judges the policy senders see; it must be the version served here. The
        // record is read past the cache: the last step may have changed it moments ago.
        var txt = await dns.FreshTxtAsync("_mta-sts." + domain.Value, cancellationToken);
        var publishedId = txt.LookupFailed ? null : StsRecord.Parse(txt.Records).Record?.Id;
        if (publishedId != before.PolicyId || live.Policy is null || live.Policy.ToText() != current.ToText())
        {
            return new PolicyChangeResult(domain.Value, ChangeKind.Unchanged,
                $"The published policy is not version {before.Version} served here (DNS gives id {publishedId ?? "none"}, version {before.Version} has id {before.PolicyId}): " +
                "publish its record and confirm it ('policy confirm') before the next step; nothing changed.",
                before, null, [], [], false, judgement);
        }

        StsPolicy proposed;
        if (verdict == Verdict.Ready && current.Mode == StsPolicyMode.Testing)
        {
            proposed = current with { Mode = StsPolicyMode.Enforce };
        }
        else if (verdict == Verdict.RollBack && current.Mode == StsPolicyMode.Enforce)
        {
            proposed = current with { Mode = StsPolicyMode.Testing };
        }
        else
        {
            var why = judgement.Result.Reasons.Where(r => r.Severity >= Severity.Warning).Select(r => r.Message).Take(3).ToList();
            return new PolicyChangeResult(domain.Value, ChangeKind.Unchanged,
                $"Readiness is {VerdictNames.ToName(verdict)} in mode {current.Mode.ToRfcName()}: no step to take; nothing changed." + (why.Count > 0 ? " " + string.Join(" ", why) : string.Empty),
                before, null, [], [], false, judgement);
        }

        var (liveMx, mxError) = await LiveMxAsync(domain, cancellationToken);
        var refusals = PolicyChangeRules.Check(current, proposed, liveMx, mxError, verdict);
        return await StepAsync(domain, before, proposed, refusals, false, "apply", reason, actor, judgement, dryRun, cancellationToken);
    }

    /// <summary>Checks, once, whether DNS gives the id of the version served and the policy fetched is its text; records it when so.</summary>
    public async Task<ConfirmationResult> ConfirmAsync(string domainText, CancellationToken cancellationToken)
    {
        var domain = Domain(domainText);
        var version = await store.Policies.ServedAsync(domain.Value, cancellationToken)
            ?? throw new PolicyRequestException(StatusCode.NotFound, $"no policy for {domain.Value} is served here.");
        var txt = await dns.FreshTxtAsync("_mta-sts." + domain.Value, cancellationToken);
        var parsed = txt.LookupFailed ? null : StsRecord.Parse(txt.Records);
        var record = parsed?.Record;
        var fetch = await fetcher.FetchAsync(domain.Value, cancellationToken);
        var matches = fetch.Text == version.PolicyText;
        var idMatches = record?.Id == version.PolicyId;
        var expected = new StsRecord(version.PolicyId).ToText();
        string message;
        if (idMatches && matches)
        {
            message = $"DNS gives id {version.PolicyId} and https://mta-sts.{domain.Value}/.well-known/mta-sts.txt serves version {version.Version}: confirmed.";
            if (version.State != PolicyState.Confirmed)
            {
                await store.Policies.RecordAsync(domain.Value, version.Version, PolicyState.Confirmed, message, cancellationToken);
                version = version with { State = PolicyState.Confirmed, Outcome = message, UpdatedAt = time.GetUtcNow() };
            }
        }
        else
        {
            var seen = txt.LookupFailed ? "DNS: " + txt.Describe() : record is null ? $"no usable _mta-sts record ({parsed!.Error})" : $"DNS gives id {record.Id}";
            var policy = matches ? $"the policy fetched is version {version.Version}" : fetch.Error is { } error ? $"the policy fetch failed: {error}" : $"the policy fetched is not version {version.Version}";
            message = $"Not yet: {seen}, waiting for _mta-sts.{domain.Value}. TXT \"{expected}\"; {policy}.";
        }

        return new ConfirmationResult(version, idMatches && matches, message, record?.Id, matches);
    }

    private async Task<PolicyChangeResult> StepAsync(
        DomainName domain, PolicyVersion? before, StsPolicy proposed, IReadOnlyList<PolicyRefusal> refusals, bool force, string origin, string reason, string actor,
        Judgement? judgement, bool dryRun, CancellationToken cancellationToken)
    {
        var d = domain.Value;
        var now = time.GetUtcNow();
        var id = StsRecord.Next(now, before?.PolicyId);
        var text = proposed.ToText();
        var verdict = judgement is null ? string.Empty : VerdictNames.ToName(judgement.Result.Verdict);
        var evidence = judgement is null ? string.Empty : Evidence(judgement.Result);
        var overridden = refusals.Select(r => $"{r.Code}: {r.Message}").ToList();
        var number = (before?.Version ?? 0) + 1;
        var steps = new List<string>
        {
            $"serve version {number} ({Describe(proposed)}) at https://mta-sts.{d}/.well-known/mta-sts.txt",
            updater.Enabled
                ? $"replace _mta-sts.{d} TXT with \"{id.ToText()}\" through an RFC 2136 update to {updater.Server}"
                : $"publish _mta-sts.{d}. TXT \"{id.ToText()}\" (no PolicyHosting:DnsUpdate is set: by hand)",
            $"confirm that DNS gives id {id.Id} and that the policy fetched is version {number} ('policy confirm {d}')",
        };
        PolicyVersion Proposed(string outcome) => new(d, number, id.Id, text, PolicyState.Served, now, now, actor, origin, reason, force && refusals.Count > 0,
            force ? overridden : [], verdict, evidence, outcome);

        if (refusals.Count > 0 && !force)
        {
            return new PolicyChangeResult(d, ChangeKind.Refused,
                $"Refused, nothing changed: it would break delivery ({string.Join(", ", refusals.Select(r => r.Code))})." + (origin == "set" ? " Add --force to override (it is recorded)." : string.Empty),
                before, Proposed("refused"), refusals, steps, false, judgement);
        }

        if (dryRun)
        {
            return new PolicyChangeResult(d, ChangeKind.DryRun,
                $"Dry run, nothing changed: {d} would go from {(before is null ? "no policy" : $"version {before.Version} (mode {StsPolicy.Parse(before.PolicyText).Policy!.Mode.ToRfcName()}, id {before.PolicyId})")} to version {number} (mode {proposed.Mode.ToRfcName()}, id {id.Id}).",
                before, Proposed("dry run"), refusals, steps, false, judgement);
        }

        var stored = await store.Policies.ServeAsync(
            new NewPolicyVersion(d, id.Id, text, actor, origin, reason, force ? overridden : [], verdict, evidence), before?.Version, cancellationToken)
            ?? throw new PolicyRequestException(StatusCode.Aborted, $"the policy of {d} was changed meanwhile (it is no longer version {before?.Version ?? 0}); nothing changed: look again and retry.");
        await served.RefreshAsync(cancellationToken);

        if (!updater.Enabled)
        {
            await store.Policies.RecordAsync(d, stored.Version, PolicyState.Served, $"Served; waiting for _mta-sts.{d}. TXT \"{id.ToText()}\" to be published.", cancellationToken);
            return new PolicyChangeResult(d, ChangeKind.Changed,
                $"Version {stored.Version} is served. Publish _mta-sts.{d}. TXT \"{id.ToText()}\" now; senders fetch the new policy once they see the new id.",
                before, stored, refusals, steps, false, judgement);
        }

        var update = await updater.PublishAsync(d, id, cancellationToken);
        if (!update.Succeeded)
        {
            var kept = before is null
                ? $"{d} is served no policy, as before"
                : $"version {before.Version} (mode {StsPolicy.Parse(before.PolicyText).Policy!.Mode.ToRfcName()}, id {before.PolicyId}) stays in force";
            var outcome = $"The DNS update failed: {update.Message} Version {stored.Version} was withdrawn; {kept}.";
            await store.Policies.RevertAsync(d, stored.Version, before?.Version, outcome, cancellationToken);
            await served.RefreshAsync(cancellationToken);
            return new PolicyChangeResult(d, ChangeKind.Failed, outcome, before, stored with { State = PolicyState.Failed, Outcome = outcome }, refusals, steps, false, judgement);
        }

        var done = $"Served, and {update.Message} Waiting for the live check to confirm.";
        await store.Policies.RecordAsync(d, stored.Version, PolicyState.Served, done, cancellationToken);
        return new PolicyChangeResult(d, ChangeKind.Changed, $"Version {stored.Version} is served and the record updated: {update.Message}",
            before, stored with { Outcome = done }, refusals, steps, true, judgement);
    }

    private async Task<(IReadOnlyList<string>? Hosts, string? Error)> LiveMxAsync(DomainName domain, CancellationToken cancellationToken)
    {
        var mx = await dns.MxAsync(domain.Value, cancellationToken);
        return mx.LookupFailed
            ? (null, mx.Describe())
            : ([.. mx.Records.Select(r => r.Exchange.Value.TrimEnd('.').ToLowerInvariant()).Where(h => h.Length > 0).Distinct()], null);
    }

    private void RequireHosting()
    {
        if (!options.Value.Enabled)
        {
            throw new PolicyRequestException(StatusCode.FailedPrecondition,
                "policy hosting is off: set PolicyHosting:Url and PolicyHosting:Certificates to serve and change policies (README: \"Policy hosting\").");
        }
    }

    private static DomainName Domain(string text) => DomainName.TryParse(text, out var name, out var error)
        ? name
        : throw new PolicyRequestException(StatusCode.InvalidArgument, "domain: " + error);

    private static string Describe(StsPolicy policy) =>
        $"mode {policy.Mode.ToRfcName()}, mx {(policy.Mx.Count == 0 ? "none" : string.Join(" ", policy.Mx.Select(m => m.Value)))}, max_age {policy.MaxAge.ToString(CultureInfo.InvariantCulture)}";

    // The verdict's reasons as kept with a version: the domain's own Reason records, severities by name.
    private static readonly JsonSerializerOptions EvidenceJson = new() { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    /// <summary>The verdict's reasons, as kept with the version (JSON: code, severity, message, evidence).</summary>
    private static string Evidence(ReadinessResult result) => JsonSerializer.Serialize(result.Reasons, EvidenceJson);

    /// <summary>The reasons kept with a version; none when it rested on no verdict.</summary>
    public static IReadOnlyList<Reason> ReadEvidence(string json) =>
        json.Length == 0 ? [] : JsonSerializer.Deserialize<List<Reason>>(json, EvidenceJson) ?? [];
}
