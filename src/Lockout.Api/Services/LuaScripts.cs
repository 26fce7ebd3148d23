using System.Reflection;

namespace Lockout.Api.Services;

/// <summary>
/// The Lua scripts embedded from <c>Services/Scripts</c>, each with the shared prelude (and Smart mode's helpers) in
/// front. StackExchange.Redis sends a script's text once per server and EVALSHA after it, reloading it on NOSCRIPT.
/// </summary>
public static class LuaScripts
{
    public static string Load(string name, bool smart = false) =>
        string.Join('\n', new[] { "prelude", smart ? "smart" : null, name }.OfType<string>().Select(Read));

    private static string Read(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"Lockout.Api.Services.Scripts.{name}.lua")
            ?? throw new InvalidOperationException($"The Lua script '{name}' is not embedded.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
