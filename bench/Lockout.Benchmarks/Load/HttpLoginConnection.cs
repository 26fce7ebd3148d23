using System.Net;
using System.Net.Sockets;

namespace Lockout.Benchmarks.Load;

/// <summary>
/// One keep-alive HTTP/1.1 connection driven by hand: pre-encoded request bytes out, status line and framing in.
/// </summary>
/// <remarks>
/// HttpClient costs several times more CPU per request than this, and the generator shares the system's two cores:
/// every cycle it spends is a cycle the server under test does not get.
/// </remarks>
internal sealed class HttpLoginConnection : IDisposable
{
    private const int BufferSize = 8192;

    private readonly Socket _socket;

    // Pinned once, so no receive has to pin it again.
    private readonly byte[] _buffer = GC.AllocateUninitializedArray<byte>(BufferSize, pinned: true);

    private HttpLoginConnection(Socket socket) => _socket = socket;

    public static async Task<HttpLoginConnection> OpenAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken);
            return new HttpLoginConnection(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends one request and reads its whole response; returns the status code.</summary>
    /// <exception cref="IOException">The server closed the connection.</exception>
    /// <exception cref="InvalidDataException">The response is not one this reader understands.</exception>
    public async ValueTask<int> SendAsync(ReadOnlyMemory<byte> request)
    {
        await _socket.SendAsync(request, SocketFlags.None);

        var received = 0;
        while (true)
        {
            var read = await _socket.ReceiveAsync(_buffer.AsMemory(received), SocketFlags.None);
            if (read == 0)
            {
                throw new IOException("The server closed the connection.");
            }

            received += read;
            var status = HttpResponseReader.TryReadComplete(_buffer.AsSpan(0, received), out var length);
            if (status != 0)
            {
                return length == received
                    ? status
                    : throw new InvalidDataException("More bytes than one response arrived; nothing was pipelined.");
            }

            if (received == _buffer.Length)
            {
                throw new InvalidDataException($"A response did not fit in {BufferSize} bytes.");
            }
        }
    }

    public void Dispose() => _socket.Dispose();
}
