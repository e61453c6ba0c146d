namespace MtaStsReporting.Persistence.Store;

/// <summary>How durable a commit is on SQLite: its <c>synchronous</c> setting in WAL mode.</summary>
public enum SqliteDurability
{
    /// <summary>fsync on every commit: nothing acknowledged is lost, even on power loss.</summary>
    Full,

    /// <summary>fsync at checkpoints only: survives a crash of the process, not of the machine.</summary>
    Normal,
}
