using Cloudtalk.Api.Idempotency;

namespace Cloudtalk.Api.Reviews;

public enum ReviewWriteStatus
{
    Done,
    ReviewNotFound,
    ProductNotFound,
    ProductIdChanged,

    /// <summary>A create whose <c>Idempotency-Key</c> holds a prior answer: nothing was written (see <see cref="ReviewWriteResult.Prior"/>).</summary>
    AnsweredBefore,
}

/// <summary>
/// What a review write came to; <see cref="Review"/> is set when it was <see cref="ReviewWriteStatus.Done"/>,
/// <see cref="Prior"/> when it was <see cref="ReviewWriteStatus.AnsweredBefore"/>.
/// </summary>
public sealed record ReviewWriteResult(ReviewWriteStatus Status, ReviewResponse? Review = null, PriorAnswer? Prior = null);
