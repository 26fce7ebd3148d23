namespace Lockout.Events;

/// <summary>The key lock events are signed with; section <c>Lockout:Events</c>, checked at start by the API and the writer.</summary>
public sealed class EventSigningOptions
{
    public const string SectionName = "Lockout:Events";

    /// <summary>Shorter keys are refused: 32 characters of a generated secret are well beyond guessing.</summary>
    public const int MinKeyLength = 32;

    /// <summary>The AppHost's <c>event-signing-key</c> parameter: shared by the API and the writer, by nobody else.</summary>
    public string? SigningKey { get; set; }

    /// <summary>What a service says, in one sentence, when it refuses to start without a usable key.</summary>
    public static readonly string Requirement =
        $"{SectionName}:SigningKey must be a secret of at least {MinKeyLength} characters shared by the API and the writer (the AppHost's event-signing-key parameter), or no lock event can be trusted.";

    /// <summary>Why <paramref name="key"/> cannot sign events; null when it can.</summary>
    public static string? Problem(string? key) => key is null || key.Length < MinKeyLength ? Requirement : null;
}
