using Microsoft.AspNetCore.Http.Metadata;

namespace Lockout.Api.Apis;

/// <summary>Per-endpoint body limits for minimal APIs.</summary>
public static class RequestSizeLimitExtensions
{
    /// <summary>
    /// Refuses bodies larger than <paramref name="maxBytes"/> with 413 before any of it is read: routing gives the
    /// endpoint's <see cref="IRequestSizeLimitMetadata"/> (what MVC's <c>[RequestSizeLimit]</c> sets) to the server,
    /// which refuses a larger <c>Content-Length</c> at once and a chunked body as soon as it passes the limit.
    /// </summary>
    public static TBuilder WithRequestSizeLimit<TBuilder>(this TBuilder builder, long maxBytes) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequestSizeLimitMetadata(maxBytes));

    private sealed class RequestSizeLimitMetadata(long maxBytes) : IRequestSizeLimitMetadata
    {
        public long? MaxRequestBodySize => maxBytes;
    }
}
