namespace Switchyard.Data;

/// <summary>
/// The synthetic tasks. Each example is one line <c>name:prompt=answer\n</c> that a byte-level
/// LM can learn; only the answer (after <c>=</c>, with its newline) counts toward the loss.
/// </summary>
public enum SyntheticTask
{
    /// <summary><c>copy:abc=abc</c> — repeat a letter string.</summary>
    Copy,

    /// <summary><c>rev:abc=cba</c> — reverse a letter string.</summary>
    Reverse,

    /// <summary><c>sort:3172=1237</c> — sort digits or letters ascending.</summary>
    Sort,

    /// <summary><c>madd:17+9%23=3</c> — (a + b) mod m.</summary>
    ModAdd,

    /// <summary><c>mmul:4*9%23=13</c> — (a · b) mod m.</summary>
    ModMul,

    /// <summary><c>bal:([])(=n</c> — is the bracket string balanced (y/n)?</summary>
    Brackets,

    /// <summary><c>count:b|abcbb=3</c> — how often the letter before <c>|</c> occurs after it.</summary>
    Count,

    /// <summary><c>add:478+925=1403</c> — decimal addition with carries.</summary>
    Add,
}
