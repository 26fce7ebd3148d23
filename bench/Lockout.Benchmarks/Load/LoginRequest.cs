using System.Text;
using System.Text.Json;

namespace Lockout.Benchmarks.Load;

/// <summary>One <c>POST /login</c>, already encoded, and the account it is for (an index into its account set).</summary>
internal readonly record struct LoginRequest(ReadOnlyMemory<byte> Bytes, int Account)
{
    /// <summary>Encodes the request once, so sending it costs the generator no formatting or allocation.</summary>
    public static byte[] Encode(string username, string password) => Frame(EncodeBody(username, password));

    /// <summary>The whole request for a JSON body.</summary>
    public static byte[] Frame(byte[] body)
    {
        var head = Encoding.ASCII.GetBytes(
            $"POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n");
        return [.. head, .. body];
    }

    /// <summary>The JSON body alone: <c>{"username":…,"password":…}</c>.</summary>
    public static byte[] EncodeBody(string username, string password) =>
        JsonSerializer.SerializeToUtf8Bytes(new Credentials(username, password), CredentialsJson.Options);

    private sealed record Credentials(string Username, string Password);

    private static class CredentialsJson
    {
        public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
    }
}
