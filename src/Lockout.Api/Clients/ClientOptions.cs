using System.ComponentModel.DataAnnotations;
using System.Net;

namespace Lockout.Api.Clients;

/// <summary>Who is asking, and how much a source may fail across accounts; section <c>Lockout:Clients</c>.</summary>
public sealed class ClientOptions : IValidatableObject
{
    public const string SectionName = "Lockout:Clients";

    /// <summary>
    /// Networks (CIDR) of the proxies whose <c>X-Forwarded-For</c> is believed. From anyone else the header is ignored
    /// and the connection's address is the client's. In Development loopback is added, so tests and a curl can act
    /// as many clients.
    /// </summary>
    public string[] TrustedProxies { get; set; } = [];

    public SourceThrottleOptions Throttle { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        TrustedProxies.Concat(Throttle.AllowList)
            .Where(network => !IPNetwork.TryParse(network, out _))
            .Select(network => new ValidationResult($"'{network}' in {SectionName} is not a network in CIDR form (e.g. 10.0.0.0/8)."));
}

/// <summary>
/// Source throttling, on in every mode: a source (an IPv4 address, an IPv6 /64) that fails too often across all
/// accounts is answered 429 before any account is looked at or any password hashed.
/// </summary>
public sealed class SourceThrottleOptions
{
    /// <summary>
    /// Wrong passwords a source may try in <see cref="Window"/> across all accounts. A real login page never gets near
    /// it from one address; a credential-stuffing run reaches it within seconds.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxFailures { get; set; } = 100;

    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Networks (CIDR) never throttled: a known corporate proxy, a monitoring probe.</summary>
    public string[] AllowList { get; set; } = [];
}
