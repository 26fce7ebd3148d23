namespace Lockout.Tests.AppHost;

/// <summary>Tests that change process-wide environment variables (ASPIRE_CONTAINER_RUNTIME) run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class ProcessEnvironmentCollection
{
    public const string Name = "Process environment";
}
