using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Arbor.Contracts.V1;
using Google.Protobuf;

namespace Arbor.Cli.Bench;

/// <summary>
/// The floor under <c>arbor bench rpc</c>: the same request and response messages over plain TCP
/// sockets on loopback, each message behind a 4-byte length, with no HTTP/2, gRPC or Kestrel. The
/// server reads a whole request, reads its header fields as the null leaf does and answers the null
/// leaf's response. Each caller has a connection of its own (no multiplexing to queue behind), so
/// this is the least that moving these bytes through the kernel and .NET's sockets costs on the
/// machine: what the gRPC stack adds is the difference.
/// </summary>
public sealed class RawSocketFloor : IAsyncDisposable
{
    private readonly Socket listener;
    private readonly CancellationTokenSource stopping = new();
    private readonly List<Task> serving = [];
    private readonly Task accepting;

    private RawSocketFloor(Socket listener)
    {
        this.listener = listener;
        accepting = AcceptAsync();
    }

    public IPEndPoint EndPoint => (IPEndPoint)listener.LocalEndPoint!;

    /// <summary>Listens on a free loopback port.</summary>
    public static RawSocketFloor Start()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Listen(64);
        return new RawSocketFloor(socket);
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var connection = await listener.AcceptAsync(stopping.Token);
                connection.NoDelay = true;
                lock (serving)
                {
                    serving.Add(ServeAsync(connection));
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task ServeAsync(Socket connection)
    {
        using var _ = connection;
        using var request = new MessageBuffer();
        var response = new ArrayBufferWriter<byte>(1024);
        try
        {
            while (await ReadMessageAsync(connection, request, stopping.Token) is { } length)
            {
                var header = NullLeaf.ScanRequest(new ReadOnlySequence<byte>(request.Bytes, 0, length));
                var answer = new LeafScoreResponse { Model = header.Model, Version = "7", RowCount = header.RowCount, Outputs = { NullLeaf.Output } };
                var scores = new float[header.RowCount];
                Array.Fill(scores, 0.5f);
                answer.Scores.AddRange(scores);
                response.ResetWrittenCount();
                BinaryPrimitives.WriteInt32LittleEndian(response.GetSpan(4), answer.CalculateSize());
                response.Advance(4);
                answer.WriteTo(response);
                await connection.SendAsync(response.WrittenMemory, SocketFlags.None, stopping.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>A pooled receive buffer that grows to the largest message read into it.</summary>
    private sealed class MessageBuffer : IDisposable
    {
        public byte[] Bytes { get; private set; } = ArrayPool<byte>.Shared.Rent(64 * 1024);

        public void EnsureCapacity(int length)
        {
            if (Bytes.Length < length)
            {
                ArrayPool<byte>.Shared.Return(Bytes);
                Bytes = ArrayPool<byte>.Shared.Rent(length);
            }
        }

        public void Dispose() => ArrayPool<byte>.Shared.Return(Bytes);
    }

    /// <summary>
    /// Reads one length-prefixed message into <paramref name="buffer"/> and returns its length; null
    /// at the end of the stream.
    /// </summary>
    private static async Task<int?> ReadMessageAsync(Socket socket, MessageBuffer buffer, CancellationToken cancellationToken)
    {
        if (!await ReadExactlyAsync(socket, buffer.Bytes.AsMemory(0, 4), cancellationToken))
        {
            return null;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(buffer.Bytes);
        if (length < 0)
        {
            throw new InvalidDataException("a negative message length");
        }

        buffer.EnsureCapacity(length);
        return await ReadExactlyAsync(socket, buffer.Bytes.AsMemory(0, length), cancellationToken) ? length : null;
    }

    private static async Task<bool> ReadExactlyAsync(Socket socket, Memory<byte> target, CancellationToken cancellationToken)
    {
        while (target.Length > 0)
        {
            var read = await socket.ReceiveAsync(target, SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                return false;
            }

            target = target[read..];
        }

        return true;
    }

    /// <summary>
    /// <paramref name="concurrency"/> callers, each on a connection of its own, send
    /// <paramref name="message"/> and wait for the answer until <paramref name="duration"/> has
    /// passed. Returns each call's time in milliseconds.
    /// </summary>
    public async Task<(double[] LatenciesMs, TimeSpan Elapsed)> RunAsync(byte[] message, int concurrency, TimeSpan duration, CancellationToken cancellationToken)
    {
        var framed = new byte[message.Length + 4];
        BinaryPrimitives.WriteInt32LittleEndian(framed, message.Length);
        message.CopyTo(framed.AsSpan(4));
        var started = Stopwatch.GetTimestamp();
        var stopAt = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var perCaller = new List<double>[concurrency];
        var callers = new Task[concurrency];
        for (var c = 0; c < concurrency; c++)
        {
            var latencies = perCaller[c] = new List<double>(4096);
            callers[c] = Task.Run(async () =>
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(EndPoint, cancellationToken);
                using var answer = new MessageBuffer();
                while (Stopwatch.GetTimestamp() < stopAt && !cancellationToken.IsCancellationRequested)
                {
                    var callStarted = Stopwatch.GetTimestamp();
                    await socket.SendAsync(framed, SocketFlags.None, cancellationToken);
                    var length = await ReadMessageAsync(socket, answer, cancellationToken)
                        ?? throw new IOException("the floor server closed the connection");
                    LeafScoreResponse.Parser.ParseFrom(answer.Bytes, 0, length);
                    latencies.Add(Stopwatch.GetElapsedTime(callStarted).TotalMilliseconds);
                }

                socket.Shutdown(SocketShutdown.Both);
            }, cancellationToken);
        }

        await Task.WhenAll(callers);
        return ([.. perCaller.SelectMany(l => l)], Stopwatch.GetElapsedTime(started));
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Dispose();
        await accepting;
        Task[] open;
        lock (serving)
        {
            open = [.. serving];
        }

        await Task.WhenAll(open);
        stopping.Dispose();
    }
}
