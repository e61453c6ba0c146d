namespace MtaStsReporting.Persistence;

/// <summary>The store failed to commit (disk full, I/O error); nothing of the call was stored.</summary>
public sealed class StoreUnavailableException(string message, Exception inner) : Exception(message, inner);
