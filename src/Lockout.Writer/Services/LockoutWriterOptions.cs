using System.ComponentModel.DataAnnotations;

namespace Lockout.Writer.Services;

/// <summary>Tuning of the writer; section <c>Lockout:Writer</c>, validated at start.</summary>
public sealed class LockoutWriterOptions : IValidatableObject
{
    public const string SectionName = "Lockout:Writer";

    [Required(AllowEmptyStrings = false)]
    public string GroupId { get; set; } = "lockout-writer";

    /// <summary>Most events in one database transaction.</summary>
    [Range(1, 100_000)]
    public int MaxBatchSize { get; set; } = 1000;

    /// <summary>
    /// Most batches applied to the database at once, across all the partitions this writer holds. Each batch in
    /// flight holds one database connection, so this is also how an operator bounds the connections the writer
    /// takes from the database (plus one for the audit purge). Null, the default: no bound, one batch in flight per
    /// assigned partition. 1 applies one batch at a time, as the writer did before it applied partitions
    /// concurrently; the partitions take turns, first come first served. A partition waiting for its turn is not
    /// stuck: the consumer pauses it while its backlog is long, as for a slow database.
    /// </summary>
    [Range(1, 1_000)]
    public int? MaxConcurrentBatches { get; set; }

    /// <summary>How long one poll waits for a first message; also bounds how fast shutdown is noticed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan PollTimeout { get; set; } = TimeSpan.FromMilliseconds(250);

    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan MinRetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the audit rows of a username that does not exist, or of a source alone, are kept.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00")]
    public TimeSpan UnknownUserAuditRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often expired audit rows are looked for.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MinRetryDelay > MaxRetryDelay)
        {
            yield return new ValidationResult(
                $"{nameof(MinRetryDelay)} ({MinRetryDelay}) must not exceed {nameof(MaxRetryDelay)} ({MaxRetryDelay}).",
                [nameof(MinRetryDelay), nameof(MaxRetryDelay)]);
        }
    }
}
