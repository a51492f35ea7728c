namespace Cloudtalk.Api.Reviews;

public sealed class Review
{
    public long Id { get; set; }

    /// <summary>Set on create and never changed: a review never moves to another product.</summary>
    public long ProductId { get; set; }

    public required string FirstName { get; set; }

    public string? LastName { get; set; }

    public string? ReviewText { get; set; }

    public int Rating { get; set; }

    /// <summary>
    /// The review's write counter, carried by its events as <c>reviewVersion</c>: 1 on create, +1 on every update
    /// (the delete event carries the last value + 1). It lets Rating order one review's events whatever order they
    /// arrive in.
    /// </summary>
    public long Version { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime UpdatedAt { get; set; }
}
