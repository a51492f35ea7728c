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

    public DateTime CreatedAt { get; set; }

    public DateTime UpdatedAt { get; set; }
}
