using System.Text;

namespace Lockout.Benchmarks.Load;

/// <summary>
/// Reads just enough of an HTTP/1.1 response to know its status and where it ends: the status line,
/// then either Content-Length or chunked framing (minimal-API JSON results are chunked).
/// </summary>
internal static class HttpResponseReader
{
    /// <summary>The status code once <paramref name="data"/> holds a whole response, otherwise 0.</summary>
    /// <param name="length">The whole response's length in bytes, when complete.</param>
    public static int TryReadComplete(ReadOnlySpan<byte> data, out int length)
    {
        length = 0;
        var headerEnd = data.IndexOf("\r\n\r\n"u8);
        if (headerEnd < 0)
        {
            return 0;
        }

        // "HTTP/1.1 200 OK"
        if (headerEnd < 12 || !data.StartsWith("HTTP/1."u8))
        {
            throw new InvalidDataException("Not an HTTP/1.x response.");
        }

        var status = ((data[9] - '0') * 100) + ((data[10] - '0') * 10) + (data[11] - '0');
        var headers = data[..(headerEnd + 2)];
        var bodyStart = headerEnd + 4;

        if (TryFindHeader(headers, "content-length"u8, out var contentLength))
        {
            var end = bodyStart + ParseDecimal(contentLength);
            if (data.Length < end)
            {
                return 0;
            }

            length = end;
            return status;
        }

        if (TryFindHeader(headers, "transfer-encoding"u8, out var encoding) && Ascii.EqualsIgnoreCase(encoding, "chunked"u8))
        {
            return TryReadChunkedBody(data, bodyStart, out length) ? status : 0;
        }

        length = bodyStart;
        return status;
    }

    private static bool TryReadChunkedBody(ReadOnlySpan<byte> data, int position, out int length)
    {
        length = 0;
        while (true)
        {
            var lineEnd = data[position..].IndexOf("\r\n"u8);
            if (lineEnd < 0)
            {
                return false;
            }

            var size = ParseHex(data.Slice(position, lineEnd));
            position += lineEnd + 2;
            if (size == 0)
            {
                // No trailers: the last chunk is followed by one empty line.
                if (data.Length < position + 2)
                {
                    return false;
                }

                length = position + 2;
                return true;
            }

            position += size + 2;
            if (position > data.Length)
            {
                return false;
            }
        }
    }

    private static bool TryFindHeader(ReadOnlySpan<byte> headers, ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        var lineStart = headers.IndexOf("\r\n"u8) + 2; // skip the status line
        while (lineStart < headers.Length)
        {
            var lineLength = headers[lineStart..].IndexOf("\r\n"u8);
            if (lineLength < 0)
            {
                break;
            }

            var line = headers.Slice(lineStart, lineLength);
            var colon = line.IndexOf((byte)':');
            if (colon == name.Length && Ascii.EqualsIgnoreCase(line[..colon], name))
            {
                value = line[(colon + 1)..].Trim((byte)' ');
                return true;
            }

            lineStart += lineLength + 2;
        }

        value = default;
        return false;
    }

    private static int ParseDecimal(ReadOnlySpan<byte> digits)
    {
        var value = 0;
        foreach (var digit in digits)
        {
            value = (value * 10) + (digit - '0');
        }

        return value;
    }

    private static int ParseHex(ReadOnlySpan<byte> digits)
    {
        var value = 0;
        foreach (var digit in digits)
        {
            if (digit == ';')
            {
                break; // chunk extensions
            }

            value = (value * 16) + digit switch
            {
                >= (byte)'0' and <= (byte)'9' => digit - '0',
                >= (byte)'a' and <= (byte)'f' => digit - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => digit - 'A' + 10,
                _ => throw new InvalidDataException("Bad chunk size."),
            };
        }

        return value;
    }
}
