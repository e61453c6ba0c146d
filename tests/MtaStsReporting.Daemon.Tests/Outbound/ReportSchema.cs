using System.Text.Json;
using Json.Schema;

namespace MtaStsReporting.Daemon.Tests.Outbound;

/// <summary>The strict RFC 8460 report schema (rfc8460-report.schema.json) and a check against it.</summary>
public static class ReportSchema
{
    private static readonly Lazy<JsonSchema> Schema = new(() =>
        JsonSchema.FromText(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Outbound", "rfc8460-report.schema.json"))));

    /// <summary>Every way the report breaks the schema; empty when it passes.</summary>
    public static IReadOnlyList<string> Problems(string json)
    {
        using var document = JsonDocument.Parse(json);
        var result = Schema.Value.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true });
        return result.IsValid
            ? []
            : (result.Details ?? []).Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Key} {e.Value}")).ToList();
    }
}
