using System.Globalization;
using Google.Protobuf;
using MtaStsReporting.Api.V1;

namespace MtaStsReporting.Daemon.Forward;

/// <summary>A spooled batch: its file and the id the central daemon counts it once by.</summary>
public sealed record SpooledBatch(string Path, string BatchId, long Bytes);

/// <summary>
/// The forwarder's spool: batches the central daemon has not acknowledged, one file each,
/// written whole (a temporary file flushed to disk, then renamed) so that a forwarder killed at
/// any point finds each batch complete or absent. Each batch's id is fixed when it is spooled
/// (<c>fwd-SPOOL-SEQ</c>, SPOOL from <c>spool.id</c>, made once): a batch sent again after a
/// restart is the same batch to the central daemon, which counts it once. Sent oldest first.
/// </summary>
public sealed class BatchSpool
{
    private const string Extension = ".batch";
    private readonly Lock _lock = new();
    private readonly string _folder;
    private readonly long _maxBytes;
    private readonly SortedDictionary<long, SpooledBatch> _batches = [];
    private readonly string _spoolId;
    private long _bytes;
    private long _next;

    public BatchSpool(string folder, long maxBytes)
    {
        _folder = Path.GetFullPath(folder);
        _maxBytes = maxBytes;
        Directory.CreateDirectory(_folder);
        var idFile = Path.Combine(_folder, "spool.id");
        if (!File.Exists(idFile))
        {
            File.WriteAllText(idFile, Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6)));
        }

        _spoolId = File.ReadAllText(idFile).Trim();
        foreach (var path in Directory.GetFiles(_folder, "*" + Extension))
        {
            if (long.TryParse(Path.GetFileNameWithoutExtension(path), NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
            {
                var bytes = new FileInfo(path).Length;
                _batches[seq] = new SpooledBatch(path, Id(seq), bytes);
                _bytes += bytes;
                _next = Math.Max(_next, seq + 1);
            }
        }

        // A temporary file is a batch whose write did not finish: it was never counted as spooled.
        foreach (var partial in Directory.GetFiles(_folder, "*.tmp"))
        {
            File.Delete(partial);
        }
    }

    /// <summary>The spool's folder.</summary>
    public string Folder => _folder;

    /// <summary>Batches waiting.</summary>
    public int Count { get { lock (_lock) { return _batches.Count; } } }

    /// <summary>Bytes waiting.</summary>
    public long Bytes { get { lock (_lock) { return _bytes; } } }

    /// <summary>True when the last batches offered did not fit.</summary>
    public bool Full { get; private set; }

    /// <summary>Spools all the batches, or none when they do not fit; ids are given here.</summary>
    public bool TryAdd(IReadOnlyList<OutcomeBatch> batches)
    {
        lock (_lock)
        {
            var seq = _next;
            var files = batches.Select(b =>
            {
                var s = seq++;
                b.BatchId = Id(s);
                return (Seq: s, Path: Path.Combine(_folder, s.ToString("D16", CultureInfo.InvariantCulture) + Extension), Bytes: b.ToByteArray());
            }).ToList();
            if (_bytes + files.Sum(f => (long)f.Bytes.Length) > _maxBytes)
            {
                Full = true;
                return false;
            }

            // All or none: the caller keeps the counts when this throws, so a batch written before
            // the failure must go again, or it would be sent and then counted a second time.
            var written = new List<string>();
            try
            {
                foreach (var (_, path, bytes) in files)
                {
                    var temporary = path + ".tmp";
                    using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
                    {
                        stream.Write(bytes);
                        stream.Flush(flushToDisk: true);
                    }

                    File.Move(temporary, path);
                    written.Add(path);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                foreach (var path in written)
                {
                    File.Delete(path);
                }

                throw;
            }

            foreach (var (s, path, bytes) in files)
            {
                _batches[s] = new SpooledBatch(path, Id(s), bytes.Length);
                _bytes += bytes.Length;
            }

            _next = seq;
            Full = false;
            return true;
        }
    }

    /// <summary>The oldest batch, or null when the spool is empty.</summary>
    public SpooledBatch? Oldest()
    {
        lock (_lock)
        {
            return _batches.Count == 0 ? null : _batches.First().Value;
        }
    }

    public static OutcomeBatch Read(SpooledBatch batch) => OutcomeBatch.Parser.ParseFrom(File.ReadAllBytes(batch.Path));

    /// <summary>The central daemon has it: the file goes.</summary>
    public void Remove(SpooledBatch batch) => Forget(batch, () => File.Delete(batch.Path));

    /// <summary>The central daemon refuses it for good: kept aside in <c>rejected/</c> for a person to read.</summary>
    public void Reject(SpooledBatch batch) => Forget(batch, () =>
    {
        var rejected = Directory.CreateDirectory(Path.Combine(_folder, "rejected")).FullName;
        File.Move(batch.Path, Path.Combine(rejected, Path.GetFileName(batch.Path)), overwrite: true);
    });

    private void Forget(SpooledBatch batch, Action file)
    {
        lock (_lock)
        {
            file();
            var seq = long.Parse(Path.GetFileNameWithoutExtension(batch.Path), CultureInfo.InvariantCulture);
            if (_batches.Remove(seq))
            {
                _bytes -= batch.Bytes;
            }
        }
    }

    private string Id(long seq) => $"fwd-{_spoolId}-{seq}";
}
