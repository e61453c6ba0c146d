namespace MtaStsReporting.Domain.RelayOutcomes;

/// <summary>A field of a relay's input that breaks a rule: the path to it and what is wrong.</summary>
/// <param name="Field">Path in the input's field names, with the item's index: <c>session_outcomes[3].failure.receiving_ip</c>.</param>
/// <param name="Message">What is wrong, in plain words.</param>
public sealed record FieldError(string Field, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"{Field}: {Message}";
}
