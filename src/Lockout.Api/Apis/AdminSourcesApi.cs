using System.Diagnostics;
using System.Security.Claims;
using Lockout.Api.Clients;
using Lockout.Api.Security;
using Lockout.Api.Services;
using Lockout.Api.Telemetry;
using Lockout.Events;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lockout.Api.Apis;

/// <summary>Sources (client addresses) and their throttle across accounts, behind the admin API key.</summary>
public static class AdminSourcesApi
{
    public static IEndpointRouteBuilder MapAdminSourcesApi(this IEndpointRouteBuilder app)
    {
        var sources = app.MapGroup("/admin/sources")
            .RequireAuthorization(AdminApiKeyHandler.PolicyName)
            .WithRequestSizeLimit(Credentials.MaxBodyBytes)
            .WithTags("Admin");

        sources.MapGet("/{source}", GetSourceAsync);
        sources.MapDelete("/{source}/throttle", LiftThrottleAsync);

        return app;
    }

    /// <summary>A source's failures in the throttle's window, whether it is throttled now, and the decisions about it.</summary>
    public static async Task<Results<Ok<SourceResponse>, ValidationProblem>> GetSourceAsync(
        string source,
        SourceThrottle throttle,
        UserRepository users,
        CancellationToken cancellationToken)
    {
        if (!ClientSource.TryParse(source, out var parsed))
        {
            return AdminApi.SourceProblem();
        }

        var state = await throttle.ReadAsync(parsed);
        var events = await users.ListSourceEventsAsync(parsed, cancellationToken);
        return TypedResults.Ok(new SourceResponse(parsed, state.Failures, state.Throttled, state.RetryAfter?.TotalSeconds, [.. events.Select(AuditEventResponse.From)]));
    }

    /// <summary>Forgets a source's failures, so it is no longer throttled; recorded as THROTTLE_LIFTED.</summary>
    public static async Task<Results<Accepted, ValidationProblem>> LiftThrottleAsync(
        string source,
        ClaimsPrincipal admin,
        SourceThrottle throttle,
        SourceMemory sourceMemory,
        LockoutApiMetrics metrics)
    {
        if (!ClientSource.TryParse(source, out var parsed))
        {
            return AdminApi.SourceProblem();
        }

        await throttle.LiftAsync(parsed, AdminApiKeyHandler.OperatorOf(admin), Activity.Current?.Id);
        sourceMemory.Forget(parsed);
        metrics.Decided(LockoutEventType.ThrottleLifted);
        return TypedResults.Accepted($"/admin/sources/{Uri.EscapeDataString(parsed)}");
    }
}

/// <param name="RetryAfterSeconds">While throttled: when the source may try again.</param>
/// <param name="Events">The decisions about the source: throttles, lifts, blocks on accounts.</param>
public sealed record SourceResponse(string Source, int Failures, bool Throttled, double? RetryAfterSeconds, AuditEventResponse[] Events);
