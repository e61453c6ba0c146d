using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Threading.Channels;

namespace MtaStsReporting.Daemon.Collector;

/// <summary>Datagrams as received, back to back: each a 4-byte length and its bytes.</summary>
internal sealed class DatagramSlab(int bytes)
{
    public byte[] Buffer { get; } = new byte[bytes];

    public int Used { get; set; }

    public int Count { get; set; }

    public long StartedMs { get; set; }

    /// <summary>Datagrams longer than the collector reads, seen while this slab filled.</summary>
    public int TooLarge { get; set; }

    public void Reset()
    {
        Used = 0;
        Count = 0;
        TooLarge = 0;
    }

    public void Add(int length)
    {
        BinaryPrimitives.WriteInt32LittleEndian(Buffer.AsSpan(Used), length);
        Used += 4 + length;
        Count++;
    }

    /// <summary>Walks the datagrams.</summary>
    public IEnumerable<ReadOnlyMemory<byte>> Datagrams()
    {
        var at = 0;
        while (at < Used)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(Buffer.AsSpan(at));
            yield return Buffer.AsMemory(at + 4, length);
            at += 4 + length;
        }
    }
}

/// <summary>
/// The receive loop, on a thread of its own. An MTA never waits: whatever the socket cannot
/// queue is lost, and Linux queues few datagrams (<c>net.unix.max_dgram_qlen</c>). So this
/// loop does nothing but copy datagrams into large preallocated slabs and hand full (or 20 ms
/// old) slabs to the folder through a queue: no parsing, no committing, no allocation while
/// slabs are recycled. When the folder falls behind by more than the queue holds, datagrams
/// are dropped here and counted, rather than the socket being left unread.
/// </summary>
internal sealed class DatagramReceiver
{
    private const int SlabBytes = 4 * 1024 * 1024;
    private const long HandOffMs = 20;
    private static readonly TimeSpan Idle = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(2);

    private readonly Socket _socket;
    private readonly int _maxDatagram;
    private readonly Channel<DatagramSlab> _full;
    private readonly ConcurrentQueue<DatagramSlab> _free = new();
    private readonly Thread _thread;
    private volatile bool _stopping;
    private long _dropped;

    public DatagramReceiver(Socket socket, int maxDatagramBytes, int maxQueuedMiB)
    {
        _socket = socket;
        _maxDatagram = maxDatagramBytes;
        var slabs = Math.Max(2, maxQueuedMiB * 1024 * 1024 / SlabBytes);
        _full = Channel.CreateBounded<DatagramSlab>(new BoundedChannelOptions(slabs) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
        _thread = new Thread(Run) { IsBackground = true, Name = "libtlsrpt receiver", Priority = ThreadPriority.AboveNormal };
    }

    /// <summary>Slabs to read; completes after <see cref="Stop"/> once the socket is drained.</summary>
    public ChannelReader<DatagramSlab> Slabs => _full.Reader;

    /// <summary>Datagrams received but dropped because the folder was behind.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public void Start() => _thread.Start();

    /// <summary>Reads what the socket still holds (at most for two seconds), then ends the slab stream.</summary>
    public void Stop()
    {
        _stopping = true;
        _thread.Join();
    }

    /// <summary>Gives a read slab back for reuse.</summary>
    public void Return(DatagramSlab slab)
    {
        slab.Reset();
        _free.Enqueue(slab);
    }

    private DatagramSlab Rent() => _free.TryDequeue(out var slab) ? slab : new DatagramSlab(SlabBytes);

    private void Run()
    {
        _socket.ReceiveTimeout = (int)Idle.TotalMilliseconds;
        var slab = Rent();
        var drainUntil = long.MaxValue;
        while (true)
        {
            if (_stopping && drainUntil == long.MaxValue)
            {
                // From here on: what is queued, without waiting for more.
                _socket.Blocking = false;
                drainUntil = Environment.TickCount64 + (long)DrainLimit.TotalMilliseconds;
            }

            if (SlabBytes - slab.Used < _maxDatagram + 5)
            {
                slab = HandOff(slab);
            }

            int received;
            SocketError error;
            try
            {
                received = _socket.Receive(slab.Buffer.AsSpan(slab.Used + 4, _maxDatagram + 1), SocketFlags.None, out error);
            }
            catch (ObjectDisposedException)
            {
                break;
            }

            if (error == SocketError.Success)
            {
                if (received > _maxDatagram)
                {
                    slab.TooLarge++;
                    continue;
                }

                if (slab.Count == 0)
                {
                    slab.StartedMs = Environment.TickCount64;
                }

                slab.Add(received);
                if (Environment.TickCount64 - slab.StartedMs >= HandOffMs)
                {
                    slab = HandOff(slab);
                }
            }
            else if (error == SocketError.MessageSize)
            {
                slab.TooLarge++;
            }
            else if (_stopping && error is SocketError.WouldBlock or SocketError.TimedOut)
            {
                break;
            }
            else
            {
                // Quiet for a moment (or an error the next receive may not repeat): hand over what there is.
                if (slab.Count > 0 || slab.TooLarge > 0)
                {
                    slab = HandOff(slab);
                }

                if (error is not (SocketError.TimedOut or SocketError.WouldBlock or SocketError.Interrupted))
                {
                    // An error that is not a quiet socket must not turn this loop into a spin.
                    Thread.Sleep(10);
                }
            }

            if (_stopping && Environment.TickCount64 > drainUntil)
            {
                break;
            }
        }

        if (slab.Count > 0 || slab.TooLarge > 0)
        {
            HandOff(slab);
        }

        _full.Writer.TryComplete();
    }

    private DatagramSlab HandOff(DatagramSlab slab)
    {
        if (_full.Writer.TryWrite(slab))
        {
            return Rent();
        }

        Interlocked.Add(ref _dropped, slab.Count);
        slab.Reset();
        return slab;
    }
}
