"""The record pipeline, stage by stage, on small pages: sections -> records -> fields.

Each case is one class of real pages that the extractor once misread (one heading per paper,
records with no element of their own, citation lines with the authors first, a news table, year
labels, badges, bilingual headings), written small and by hand. A case lists what a reader sees:
the papers (title, venue, year, authors) and the news, nothing more.
"""

from __future__ import annotations

import datetime as dt

import pytest

from monitor.extract import extract
from monitor.extract.cues import heading_kind, looks_like_name, surname_list
from monitor.scholarly import venue_without_details

TODAY = dt.date(2026, 12, 1)


def page(body: str) -> str:
    return f"<!doctype html><html><head><title>Dana Example</title></head><body>{body}</body></html>"


BR_RECORDS = page("""<h2>Publications</h2><div class="content">
<a href="https://arxiv.org/abs/2301.00001">Learning to Walk Before Running in Sparse Worlds</a><br>
Alice Smith, Bob Jones, and Carol White<br><i>NeurIPS 2023</i><br><br>
<a href="https://arxiv.org/abs/2301.00002">Graph Transformers for Molecule Property Prediction</a><br>
Bob Jones and Alice Smith<br><i>ICML 2022</i><br><br>
<a href="https://arxiv.org/abs/2301.00003">A Survey of Robust Optimisation Methods</a><br>
Carol White<br><i>arXiv preprint, 2021</i></div>""")

HEADING_PER_PAPER = page("""<h2>Papers</h2>
<h4>Neural Parsing with Latent Trees</h4><p>Ann Lee, Tom Wu and Zed Roe</p>
<p>In: Proceedings of ACL (long). 2019. <a href="a.pdf">[paper]</a> <a href="https://github.com/x/y">[code]</a></p>
<h4>Cross-lingual Transfer for Low-resource Tagging</h4><p>Tom Wu, Ann Lee</p>
<p>In: Proceedings of EMNLP. 2018. <a href="b.pdf">[paper]</a></p>
<h4>Fast Decoding of Sequence Models</h4><p>Zed Roe</p><p>In: Proceedings of NAACL (short). 2018.</p>
<h2>Teaching</h2><p>CS 101, Fall 2020</p>""")

YEAR_HEADINGS_LIKE_TITLES = page("""<h2>Publications</h2><h3>2024</h3>
<h3>Diffusion Models for Weather Forecasting</h3><p>Li Wei, Wang Fang</p><p>在投 (under review)</p>
<h3>Sparse Attention for Long Videos</h3><p>Wang Fang, Li Wei</p><p>CVPR 2024</p>
<h3>2023</h3>
<h3>Robust Tracking under Occlusion</h3><p>Li Wei, Zhao Min</p><p>ICCV 2023</p>""")

IEEE_CITATIONS = page("""<h2>Publications</h2><ul>
<li>M. Zhang and Y. Chen, Link prediction based on graph neural networks, Advances in Neural Information
Processing Systems (NeurIPS-18), 2018.</li>
<li>Y. Chen, M. Zhang and L. Li, Weisfeiler-Lehman neural machine for link prediction, Proceedings of the
23rd ACM SIGKDD Conference (KDD-17), 2017.</li>
<li>X. Zhang*, Y. Demiris. Visible and Infrared Image Fusion using Deep Learning, IEEE Transactions on
Pattern Analysis and Machine Intelligence, vol. 45, no. 8, pp. 10535-10554, 2023.</li>
</ul>""")

NEWS_TABLE = page("""<table><tr><td><b>Recent</b></td></tr>
<tr><td>2024.02</td><td>The paper Fast Things is accepted by CVPR 2024.</td></tr>
<tr><td>2023.12</td><td>Received the Best Reviewer Award at NeurIPS 2023.</td></tr>
<tr><td>2023.09</td><td>Two papers are accepted by ICCV 2023.</td></tr>
</table>""")

TIMELINE_TABLE = page("""<table><tr><td><b>Background</b></td></tr>
<tr><td>08/2018</td><td>- 06/2023, Sun Yat-Sen University, PhD in Computer Science</td></tr>
<tr><td>08/2014</td><td>- 07/2018, Sun Yat-Sen University, B.S. in Software Engineering and more</td></tr>
</table>""")

APA_SURNAMES = page("""<h2>Articles</h2><ul>
<li>Ballou, Földes, Vuorre, &amp; Przybylski (2026). <b>All bang, little buck: needs and behaviour in games</b>
 <a href="https://osf.io/x">OSF Preprints</a> <a href="p.pdf">PDF</a>
 <details><summary>Abstract</summary>Psychological theories of media use often assume things.</details></li>
<li>Vuorre &amp; Przybylski (2024). <b>A multiverse analysis of internet use and well-being</b>
 <a href="https://doi.org/1">Technology, Mind, and Behavior</a> <a href="q.pdf">PDF</a></li>
</ul>""")

BOLD_YEAR_GROUPS = page("""<h2>Publications</h2>
<p><b>2023</b></p>
<p><i>Nichelle and Nancy: Demographic Attributes and First Name Biases</i> Haozhe An, Rachel Rudinger. ACL.</p>
<p><i>Use Defines Possibilities: Reasoning about Object Function</i> Mollie Schichman, Rachel Rudinger. IWCS.</p>
<p><b>2022</b></p>
<p><i>Recognition of They/Them as Singular Personal Pronouns</i> Connor Baumler, Rachel Rudinger. NAACL.</p>
<p>Contact: lastname at umd dot edu</p>""")

CARDS = page("""<h2>精选论文</h2><div>
<div class="paper-card"><h3><a href="https://arxiv.org/pdf/1">Driving with Human Decision Logic</a></h3>
<p><strong>Wen Han</strong>, D Guo, C Xu</p><p><span class="badge">AAAI2025</span> AAAI Conference on Artificial
Intelligence 2025, 2025</p><div><a href="https://arxiv.org/pdf/1">PDF</a></div></div>
<div class="paper-card"><h3><a href="https://arxiv.org/pdf/2">Language Prompts for Autonomous Driving</a></h3>
<p>D Wu, <strong>Wen Han</strong>, T Wang</p><p><span class="badge">CVPR2025</span> Computer Vision and Pattern
Recognition 2025, 2025</p><div><a href="https://arxiv.org/pdf/2">PDF</a></div></div></div>""")

TITLE_THEN_VENUE_ON_ONE_LINE = page("""<h3>Publications</h3><ul>
<li><strong>MemoryBank: Enhancing Language Models with Long-Term Memory</strong> AAAI, 2024 <br>
<u>Wanjun Zhong</u>, Lianghong Guo, Qiqi Gao [<a href="https://arxiv.org/abs/2305.10250">paper</a>]</li>
<li><strong>Improving Task Generalization via Unified Schema Prompt</strong> AI Open, 2023 <br>
<u>Wanjun Zhong</u>, Yifan Gao [<a href="https://arxiv.org/abs/2208.03229">paper</a>]</li>
</ul><h3>Work Experience</h3><ul>
<li><strong>Microsoft Research</strong> – Deep Learning Group, Summer 2021<br>Research Intern. Host: Alex Polozov</li>
<li><strong>Google Research</strong> – Brain Team, Summer 2020<br>Research Intern. Host: Chris Meek</li></ul>""")


AUTHORS_FIRST_UNQUOTED = page("""<h2>Publications</h2><ol>
<li><b>Dana Example</b>, Jin Li, Bao Liu and Wei Guan, Unified Cross-domain Classification via Geometric Adaptations.
<i>Pattern Recognition</i>, 110:107658, 2021</li>
<li>G. Xiao, D.P. Bavirisetti, <b>D. Example</b>, <a href="https://example.org/book">Image Fusion</a>, Springer Nature
Singapore, 2020. This book won a national publications award (2019).</li></ol>""")

JOURNAL_LINE_WITH_PAGES = page("""<h2>Publications</h2>
<h3>Intercomparison of Four Coronagraphs</h3>
<p>R. A. Frazin, A. M. Vasquez and <strong>D. Example</strong>,<br><em>Solar Physics</em>, Volume 280, Issue 1,
pp. 273-293, 2012.<br><a href="x.pdf">[pdf]</a></p>
<h3>Multiscale Analysis of Turbulence in Active Regions</h3>
<p><strong>D. Example</strong> and B. Lee,<br><em>Solar Physics</em>, v. 248, no. 2, pp. 297-309, April, 2008.</p>""")


LINKED_LAST_AUTHOR = page("""<h2>Publications</h2><ul>
<li><b>Learning to Walk in Sparse Worlds</b><br>Dana Example, Bob Jones, <a href="https://t.org">Tanmay Shankar</a>
<br><i>ICML 2023</i> <a href="a.pdf">pdf</a></li>
<li><b>Graph Transformers for Molecules</b><br>Bob Jones and <a href="https://t.org">Tanmay Shankar</a><br>
<i>NeurIPS 2022</i> <a href="b.pdf">Paper</a> / <a href="https://github.com/x/y">Code</a></li></ul>""")


APA_LINKED_VENUE = page("""<h2>Articles</h2><ul>
<li>Metcalfe, Brezler, &amp; Vuorre (2019). <b>Memory, stress, and the hippocampal hypothesis</b>
<a href="https://doi.org/10.1/x">Hippocampus</a> <a href="a.pdf">PDF</a> <a href="https://osf.io/a">Code</a></li>
<li>Vuorre &amp; Crump (2020). <b>Sharing and organizing research products as R packages</b>
<a href="https://doi.org/10.2/y">Behavior Research Methods</a> <a href="b.pdf">PDF</a> <a href="https://osf.io/b">Code</a></li>
<li>Vuorre &amp; Metcalfe (2021). <b>Measures of relative metacognitive accuracy are confounded</b>
<a href="https://doi.org/10.3/z">Cortex</a> <a href="c.pdf">PDF</a> <a href="https://osf.io/c">Code</a></li>
</ul><p><a href="https://github.com/x">Github</a> <a href="https://scholar.google.com/x">G. Scholar</a>
<a href="https://www.linkedin.com/in/x">LinkedIn</a> <a href="https://twitter.com/x">Twitter</a></p>""")


# A styled span around a whole record (title, authors and a venue no list knows): it is no title.
WRAPPED_RECORD = page("""<h2>Publications</h2><table>
<tr><td><img src="a.jpg"></td><td><span style="font-size: 12pt;"><b>A Differentiable Metric Learned from Just Noticeable Differences</b> <br>
<span style="font-size: 10pt;"><a href="https://a.example/">Ann Lee</a>, <a href="https://b.example/">Tom Wu</a>, Zed Roe<br>
In Interspeech, 2020. <br>[<a href="https://arxiv.org/abs/2001.04460">Paper</a>] [<a href="b1.txt">Bibtex</a>]</td></tr>
<tr><td><img src="b.jpg"></td><td><span style="font-size: 12pt;"><b>Shape Programs from Sketches</b> <br>
<span style="font-size: 10pt;">Tom Wu, <a href="https://a.example/">Ann Lee</a><br>
In Eurographics Symposium on Rendering, 2019. <br>[<a href="https://arxiv.org/abs/1901.00001">Paper</a>] [<a href="b2.txt">Bibtex</a>]</td></tr>
</table>""")

# A last author whose surname is a venue word, with the venue on a line of its own.
SURNAME_LIKE_A_VENUE = page("""<h2>Selected work</h2><ul>
<li><p><strong>Agent Interfaces for Software Engineering</strong> <br>
Ann Lee*, Tom Wu*, Zed Roe, Ofir Press <br>
NeurIPS 2024 <br>
<a href="https://arxiv.org/abs/2405.1">paper</a> | <a href="https://github.com/x/y">repo</a></p></li>
<li><p><strong>Resolving Real-World Issues with Language Models</strong> <br>
Tom Wu, Ofir Press, Ann Lee <br>
ICLR 2024 (Oral) <br>
<a href="https://arxiv.org/abs/2310.1">paper</a> | <a href="https://github.com/x/z">repo</a></p></li></ul>""")

# Paper boxes with a classed title and author list and two plain lines (venue, summary); a job title
# ("Research Scientist") in the header and a paper title opening with a section word ("Experience").
CLASSED_PAPER_BOXES = page("""<div class="info"><h1>Dana Example</h1><div>Research Scientist</div><div>Example Labs</div>
<p><a href="https://twitter.com/x">Twitter</a> / <a href="https://scholar.google.com/x">Google Scholar</a> / <a href="https://github.com/x">Github</a></p></div>
<div id="pubs"><h3>Selected Publications</h3>
<div class="publication"><div class="img"><img src="a.gif"></div><div class="text">
<div class="title">Mental Imagery for Robotic Affordances</div>
<div class="authors"><span class="author">Dana Example</span>, <span class="author">Pete Florence</span>, <span class="author">Andy Zeng</span></div>
<div><span class="venue">CoRL 2022</span> / <span class="tag"><a href="https://arxiv.org/abs/2212.1">Paper</a></span> / <span class="tag"><a href="https://x.example/">Project Page</a></span></div>
<br><div>Views that work well with pixel-wise algorithms for manipulation.</div></div></div>
<div class="publication"><div class="img"><img src="b.gif"></div><div class="text">
<div class="title">Experience-embedded Visual Foresight</div>
<div class="authors"><span class="author">Dana Example</span>, <span class="author">Maria Bauza</span></div>
<div><span class="venue">CoRL 2019</span> / <span class="tag"><a href="https://arxiv.org/abs/1911.1">Paper</a></span> / <span class="tag"><a href="https://y.example/">Project Page</a></span></div>
<br><div>Meta-learning the video prediction models adapts to new objects.</div></div></div>
<div class="publication"><div class="img"><img src="c.gif"></div><div class="text">
<div class="title">Dense Object Descriptors from Radiance Fields</div>
<div class="authors"><span class="author">Dana Example</span>, <span class="author">Pete Florence</span></div>
<div><span class="venue">ICRA 2022</span> / <span class="tag"><a href="https://youtube.com/x">Video</a></span> / <span class="tag"><a href="https://arxiv.org/abs/2203.1">Paper</a></span> / <span class="tag"><a href="https://z.example/">Project Page</a></span> / <span class="tag"><a href="https://github.com/d">Code</a></span></div>
<br><div>Correspondences from radiance fields enable manipulation of thin objects.</div></div></div>
</div>""")

# A table of papers inside <font>s inside a paragraph, where a page with no doctype keeps it.
TABLE_IN_FONT_WITHOUT_DOCTYPE = """<html><head><title>Dana Example</title></head><body>
<p><font face="helvetica"><h2>Publications</h2>
<font face="helvetica"><table cellspacing="17">
<tr><td><img src="a.gif"></td><td><b>Everybody Dance Again</b><br>Ann Lee, Tom Wu, Dana Example<br>In <em>ICCV 2019</em><br>[<a href="https://arxiv.org/abs/1808.1">Paper</a>]</td></tr>
<tr><td><img src="b.gif"></td><td><b>Relighting with a Geometry-Aware Network</b><br>Zed Roe, Dana Example<br>In <em>SIGGRAPH 2019</em><br>[<a href="https://x.example/p.pdf">Paper</a>]</td></tr>
<tr><td><img src="c.gif"></td><td><b>Rethinking the Value of Pruning</b><br>Tom Wu, Dana Example<br>In <em>ICLR 2019</em><br>[<a href="https://arxiv.org/abs/1810.1">Paper</a>]</td></tr>
</table></font></font></body></html>"""

# Cards whose title heading is followed by loose inline lines (authors in an <a>, a bare venue).
LOOSE_LINES_UNDER_TITLE_HEADINGS = page("""<h2>Publications</h2>
<article><a href="#" class="image"><img src="a.jpg"></a><div class="inner">
<h4>Interactive Video World Model with Long-Horizon Memory</h4>
<a>Ann Lee, Tom Wu, Dana Example</a> <br><br>[<a href="https://x.example/">www</a>]</div></article>
<article><a href="#" class="image"><img src="b.jpg"></a><div class="inner">
<h4>Video Motion Editing with Point Tracks</h4>
<a>Tom Wu, Dana Example</a> <br>In CVPR, 2025 <br>[<a href="https://y.example/">www</a>]</div></article>""")

# A bold title whose "and" leaves a name-like half ("Visual Servoing") is a title, not an author.
HALF_NAME_LIKE_TITLE = page("""<h2>Publications</h2>
<div class="paper"><p><b>Learning Dexterous Grasps from Tactile Sensing and Visual Servoing</b> (Spotlight)<br>
Ann Lee, Tom Wu<br>CoRL, 2024</p></div>
<div class="paper"><p><b>Sparse Graph Transformers</b> (Spotlight)<br>Tom Wu, Ann Lee<br>ICML, 2023</p></div>""")

# Cards whose title heading is followed by a list of the paper's lines (authors, venue, links); a credit
# with "Last updated" in the last row of the papers' table.
CARDS_WITH_LISTED_LINES = page("""<h2>Selected Publications</h2>
<div class="card-deck"><div class="card"><div class="card-body"><div class="teaser"><img src="a.png"></div>
<div class="paper"><h4>Interpreting the Second-Order Effects of Neurons in CLIP</h4><ul class="list-unstyled">
<li><b>Dana Example</b>, Alexei A. Efros and Jacob Steinhardt</li><li><i>ICLR 2025</i></li>
<li><a href="https://arxiv.org/abs/2406.1">paper</a> | <a href="https://x.example/">code</a></li></ul></div></div></div></div>
<div class="card-deck"><div class="card"><div class="card-body"><div class="teaser"><img src="b.png"></div>
<div class="paper"><h4>Interpreting the Weight Space of Customized Diffusion Models</h4><ul class="list-unstyled">
<li>Amil Dravid*, <b>Dana Example*</b>, Kuan-Chieh Wang and Kfir Aberman</li><li><i>NeurIPS 2024</i></li>
<li><a href="https://arxiv.org/abs/2406.2">paper</a> | <a href="https://y.example/">code</a></li></ul></div></div></div></div>
<div class="card-deck"><div class="card"><div class="card-body"><div class="teaser"><img src="c.png"></div>
<div class="paper"><h4>Test-Time Training with Masked Autoencoders</h4><ul class="list-unstyled">
<li>Yossi Gandelsman*, Yu Sun* and <b>Dana Example</b></li><li><i>NeurIPS 2022</i></li>
<li><a href="https://arxiv.org/abs/2209.1">paper</a></li></ul></div></div></div></div>
<table><tr><td><img src="d.png"></td><td><b>Deformable Kernels for Object Deformation</b><br>Dana Example, Ann Lee<br>ICLR, 2020</td></tr>
<tr><td></td><td><p align="right"><font size="2">Thanks <a href="https://jonbarron.info">Jon</a>!<br>Last updated February 2026.</font></p></td></tr>
</table>""")

# Topic headings over short lists of one-line references: sections, not paper titles over their lines.
TOPICS_OVER_SHORT_LISTS = page("""<h2>Publications</h2>
<h3>Lip Generation</h3><ul>
<li><a href="https://arxiv.org/abs/2107.1">Parallel and High-Fidelity Text-to-Lip Generation</a>, Jinglin Liu, <strong>Dana Example</strong>, Zhou Zhao, <strong>AAAI 2022</strong></li>
<li><a href="https://x.example/a">Flow-based Unconstrained Lip to Speech Generation</a>, Jinzheng He, <strong>Dana Example</strong>, <strong>AAAI 2022</strong></li>
<li><a href="https://x.example/b">Non-Autoregressive Lipreading with Integrate-and-Fire</a>, Jinglin Liu, <strong>Dana Example</strong>, <strong>ACM-MM 2020</strong></li></ul>
<h3>Machine Translation</h3><ul>
<li><a href="https://x.example/c">Speech to Speech Translation for Unwritten Languages</a>, Chen Zhang, <strong>Dana Example</strong>, <strong>AAAI 2021</strong></li>
<li><a href="https://x.example/d">Simultaneous Speech to Text Translation</a>, <strong>Dana Example</strong>, Jinglin Liu, <strong>ACL 2020</strong></li></ul>""")

# Entries with a blank line (<br><br>) inside: before a one-line summary, or before the authors; authors
# written with bare initials ("A Owens").
BLANK_LINES_INSIDE_ENTRIES = page("""<h2>Publications</h2>
<div class="row"><div class="item-img"><img src="a.gif"></div><div class="item-p">
<strong>Space-Time Correspondence as a Contrastive Random Walk.</strong>
<br><strong>NeurIPS 2020, Oral Presentation.</strong>
<br>A Jabri, A Owens, A Efros.
<br><br>Dense representation learning from unlabeled video, by learning to walk on a graph.
<br>[<a href="https://arxiv.org/abs/2006.14613"> paper </a>] [<a href="https://github.com/x/y"> code </a>]</div></div>
<div class="row"><div class="item-img"><img src="b.gif"></div><div class="item-p">
<strong>Evaluating the First Steps towards a Useful General AI.</strong>
<br><strong>ICLR 2017 Workshop</strong>
<br><br> M Baroni, A Joulin, A Jabri, G Kruszewski.
<br>A short paper on the nature of the tasks we study.</div></div>""")

# "**[VENUE]** Authors. *Title*." (an acad-homepage list in Markdown): the italic title ends the line after
# the authors; the label's brackets are not part of the venue.
ITALIC_TITLE_AFTER_AUTHORS = page("""<h1>Publications</h1><ul>
<li><strong>[WWW 2026]</strong> <strong>Dana Example</strong>, Hao Miao, Chenxi Liu, Yan Zhao. <em>Coordinating Cross-modal Traffic Prediction with Geo-image Encoding</em>.</li>
<li><strong>[ICDE 2026]</strong> <strong>Dana Example</strong>, Hao Miao, Lei Jia, Kai Zheng. <em>Balancing Competition for Fairness-aware Task Assignment</em>.</li>
<li><strong>[KDD 2025]</strong> Dazhuo Qiu, <strong>Dana Example</strong>, Arijit Khan. <em>Finding Counterfactual Evidences for Node Classification</em>.</li>
</ul>""")

# A "[New]" marker before a title is no venue and no part of the title.
NEW_BADGE_AND_TAGS = page("""<h2>Publications</h2>
<div class="paper"><p><strong style="color:red">[New]</strong> <b id="papertitle">Projective Ray Positional Encoding for Attention</b><br>
Yu Wu, Minsik Jeon, Dana Example<br>ECCV, 2026<br><a href="https://arxiv.org/pdf/2601.1">pdf</a></p></div>
<div class="paper"><p><strong style="color:red">[New]</strong> <b id="papertitle">Robot Manipulation with Semantic Augmentations and Action Chunking</b><br>
Dana Example, Ann Lee<br>RSS, 2026<br><a href="https://arxiv.org/pdf/2602.1">pdf</a></p></div>
<div class="paper"><p>[New] Hierarchical Sub-Goal Policies for Manipulation<br>
Tom Wu, Dana Example<br>CoRL, 2025<br><a href="https://arxiv.org/pdf/2509.1">pdf</a></p></div>""")

# A tag that opens the title's first word ("Sparse Voxel" in "Sparse Voxels ...") is not the title.
TAGS_AFTER_A_PLAIN_TITLE = page("""<h2>Publications</h2>
<article class="pub"><div class="right"><header>Sparse Voxels Rasterization for Radiance Fields</header>
<p class="sub"><b>Dana Example</b>, <a href="https://a.example/">Ann Lee</a></p>
<p class="sub"><span class="tag">Sparse Voxel</span>, <span class="tag">Rasterization</span></p>
<p class="venue">CVPR 2025</p><p class="links"><a href="https://arxiv.org/abs/2412.1">[Paper]</a></p></div></article>
<article class="pub"><div class="right"><header>Hashing Video Decomposition in Space-Time</header>
<p class="sub"><b>Dana Example</b>, <a href="https://b.example/">Tom Wu</a></p>
<p class="sub"><span class="tag">Video</span>, <span class="tag">Hash</span></p>
<p class="venue">ICCV 2023</p><p class="links"><a href="https://arxiv.org/abs/2309.1">[Paper]</a></p></div></article>""")

# A page with no headings: papers, then internships that open with a date ("Summer 2021").
DATES_ARE_NO_TITLES = page("""<p>I am a researcher working on vision and language.</p><hr>
<p><b>Grounded Evaluation for Text-Guided Image Editing</b><br>Ann Lee, Tom Wu, Dana Example<br>arXiv:2505.11493<br><a href="https://arxiv.org/abs/2505.11493">Paper</a></p>
<p><b>Scalable Text and Image Conditioned Video Generation</b><br>Tom Wu, Dana Example<br>ICCV'25<br><a href="https://arxiv.org/abs/2412.1">Paper</a></p>
<p><b>Benchmarking Temporal Compositionality in Video Generation</b><br>Ann Lee, Dana Example<br>ACL'25 (Findings)<br><a href="https://arxiv.org/abs/2406.1">Paper</a></p>
<p><b>Language-Driven Artistic Style Transfer</b><br>Tom Wu, Ann Lee, Dana Example<br>ECCV'22<br><a href="https://arxiv.org/abs/2106.1">Paper</a></p>
<hr>
<p>Summer 2022 <br>Research Intern @ <a href="https://x.example/">Example AI</a> <br>Advisor: <a href="https://a.example/">Licheng Yu</a> and <a href="https://b.example/">Ning Zhang</a></p>
<p>Summer 2021 <br>Research Intern @ <a href="https://x.example/">Example Azure</a> <br>Advisor: <a href="https://a.example/">Linjie Li</a>, <a href="https://b.example/">Zhe Gan</a>, <a href="https://c.example/">Lijuan Wang</a></p>
<p>Summer 2020 <br>Research Intern @ <a href="https://y.example/">Example Research</a> <br>Advisor: <a href="https://c.example/">Yale Song</a> and <a href="https://d.example/">Ann Lee</a></p>""")


# A page laid out in tables: a large <font> on a line of its own is a heading (an empty anchor before it);
# references a blank line apart in a <div> that also holds a bold label per kind and a "back to top" bar;
# the talks under the second heading are no papers.
REFERENCES_UNDER_LABELS = page("""<table><tr><td>
<a name="pubs"></a><font face="Helvetica" size="5">Publications</font>
<div class="page"><br><b>Doctoral Dissertation:</b><br>
Dana Example, "<a href="https://x.example/etd/1">Slow Light in Layered Photonic Crystals</a>" Doctoral Dissertation,
Physics, University of Example. (2018) [<a href="d.pdf">PDF</a>]<br></div>
<div class="page"><br><b>Journal Articles:</b><br><br>
D. Example, A. B. Roe, C. Poe, "<a href="https://doi.org/10.1/a">Tunable Nanogap Arrays for Raman Sensing</a>",
Applied Optics Letters 14(13), 155-158 (2022). [<a href="a.pdf">PDF</a>]<br><br>
A. B. Roe, D. Example, "<a href="https://doi.org/10.1/b">Dual Gratings with Sub-10 nm Gaps</a>",
Journal of Nanophotonics 11, 016017 (2019). [<a href="b.pdf">PDF</a>]<br><br>
<div class="bar"><b><a href="#top">BACK TO TOP</a></b></div><br><br>
<b>Proceedings Articles:</b><br><br>
C. Poe, D. Example, "<a href="https://doi.org/10.1/c">Plasmonic Pixels for Colour Displays</a>",
Proc. SPIE 10722, 2R (2018). [<a href="c.pdf">PDF</a>]<br><br></div>
<br><a name="talks"></a><font size="5">Presentations</font>
<div class="page"><br><b>Contributed Presentations:</b><br><br>
D. Example, A. B. Roe, "Nanogaps in Practice" Example Physics Meeting, Boston, MA (2019)<br><br>
A. B. Roe, D. Example, "Dark-field Views of Nanodevices" Example Optics Meeting, Denver, CO (2017)<br><br></div>
</td></tr></table>""")

# Author-date references with a quoted title (Chicago: "Surname, Given. Year."), each paragraph followed by
# one of its resource links and an abstract that names a conference.
AUTHOR_DATE_QUOTED_TITLES = page("""<h3>Publications</h3>
<p class="paper"><a href="https://doi.org/10.1/x">Example, Dana. 2023. "Uncertainty in Grid Data: A Theory and a
Test." <i>Quality &amp; Quantity</i> 57 (5): 4477-4491.</a></p>
<p><a href="https://x.example/free">Free view</a><br><a href="https://x.example/rep.zip">Replication package</a></p>
<p>This note develops a theory presented at a conference on spatial research and tests it.</p>
<p class="paper"><a href="https://doi.org/10.1/y">Example, Dana, and Ann Roe. 2021. "Displacement and the Expectation of
Violence." <i>Conflict Management and Peace Science</i> 38 (5): 561-579.</a></p>
<p><a href="https://x.example/y.pdf">Accepted Manuscript version</a></p>
<p>How do different degrees of hardship shape expectations? We present survey evidence.</p>
<p class="paper"><a href="https://doi.org/10.1/z">Roe, Ann, and Dana Example (2019). "Audience Costs and Coercive
Diplomacy." <i>Research &amp; Politics</i> 5 (3): 1-7.</a></p>
<p><a href="https://x.example/free2">Free view</a></p>""")

# A mathematician's list: co-authors in parentheses after the title, the journal's name cut short and
# linked around its italics, then volume (year), issue and pages.
COAUTHORS_AFTER_TITLES = page("""<h2>Papers</h2><ol>
<li>Unbounded matroids (with <a href="https://x.example/a">Ann Roe</a> and <a href="https://x.example/b">Jo Poe</a>)
<br>Preprint (12/5/23). [<a href="u.pdf">PDF</a> | <a href="https://arxiv.org/abs/2312.02040">arXiv:2312.02040</a>]
<li>Chromatic functions of trees (with Ann Roe, Jo Poe, and Lee Moe)
<br><a href="https://x.example/blms"><i>Bull. Lond. Math. Soc.</i></a> <b>56</b> (2024), no. 11, 3452-3476.
[<a href="c.pdf">PDF</a> | <a href="https://arxiv.org/abs/2402.10333">arXiv:2402.10333</a>]
<li>Interval parking functions (joint with Ann Roe)
<br><a href="https://x.example/aam"><i>Adv. Appl. Math.</i></a> <b>123</b> (2021), 102129.
</ol>""")

# A table cell holding a paragraph of references, then more of them loose after it, <br><br> apart; the
# owner's name underlined, also surname first and alone before the year; the journal in bold italics.
UNDERLINED_OWNER_IN_A_CELL = page("""<table><tr><td><h2>Publications</h2></td></tr>
<tr><td width="567"><p>
Roe A, <u>Example D.</u> (2021). Assessment of a small-scale fishery using a length metric. <b><i>PLoS One</i></b>
16:e0233479.<br><br>
Poe J, <u>Example D</u>, Roe A. (2021). Climate effects on fish diversity in subtropical bays. <b><i>Estuarine, Coastal
and Shelf Science</i></b> 249.<br><br></p>
<u>Example D.</u> (2018). Selection of trilateral continuums of life history strategies. <em><strong>Scientific
Reports</strong></em> 8:8.<br>
<br>
Moe L, Roe A, and <u>Example, D.</u> (2012) Demography and population trends of whooping cranes.
<em><strong>Journal of Field Ornithology</strong></em> 83(1):1-10.<br>
<br>
<u>Example, D.</u>, Roe, A. (2008) Identifying interactions among salmon populations. <em><strong>Ecology</strong></em>
89: 4-11<br><br>
</td></tr></table>""")

# A 1990s page: "papers by" the owner in its one heading, each title in italics with "with" and the
# co-authors after it, then the journal.
OLD_PAGE_WITH_COAUTHORS = page("""<H1>On-line papers by Dana Example</H1><P><HR></P>
<P><A HREF="p1.htm"><I>Tungsten shields in a compact fusion plant</A></I> with Ann Roe, Jo Poe and
Lee Moe. Nucl. Fusion <B>61</B> 086018 (2021)
<P><A HREF="p2.htm"><I>Design of boride shields for a fusion power plant,</A></I> with A. Roe and J. Poe.
Nucl. Fusion 58 (2018) 076014
<P><A HREF="p3.htm"><I>Heat deposition into a superconducting central column</I></A> with Jo Poe,
Nucl. Fusion 55 (2015) 023014""")

# A heading left open around the page's lists (a theme's "<h4><ul><p><section>"): year headings inside it
# and APA references, one with "et al.".
HEADING_LEFT_OPEN = page("""<h1>Publications</h1><h4 align="left"><ul><p><section id="y2025"><h3>2025</h3><br><br>
Example, D., Roe, A., &amp; Poe, J. (2025). Beyond Letters: Transport as a Model of Reading. <i>Neurobiology of
Language</i>, 1-62. <a href="https://doi.org/10.1/a">https://doi.org/10.1/a</a>
<ul><li style="display: inline"><a href="https://doi.org/10.1/a">peer-reviewed article</a></li>
<li style="display: inline"><a href="https://x.example/pre">preprint</a></li></ul><br><br>
Roe et al. (2025). Measuring the Priming Effect Across Many Languages. <i>Nature Human Behaviour</i>.
<a href="https://doi.org/10.1/b">https://doi.org/10.1/b</a></section>
<section id="y2020"><h3>2020</h3><br><br>
Example, D., Moe, L., &amp; Roe, A. (2020). An R package for the controlled generation of word stimuli.
<i>Behavior Research Methods</i>, 52, 1-12.</section></p></ul></h4>""")

# A documentation theme's page: its navigation (a titled menu) opens no section and holds no papers; each
# reference has its authors surname first, the owner's in bold in the middle, then a linked title.
LINKED_TITLES_AFTER_SURNAME_FIRST_AUTHORS = page("""<nav class="md-nav"><label class="md-nav__title">Dana
Example</label><ul><li><a href="/">About me</a></li><li><a href="/pubs/">Publications</a></li></ul></nav>
<h1>Publications</h1><h2>Peer-reviewed Journal Articles</h2><ol>
<li>Roe, A., <b>Example, D. M.</b>, Poe, J., Brevik, Ø., &amp; van Moe, L. <a href="https://doi.org/10.1/a">Stability
Bias in Lagrangian Tracking in Divergent Flows</a>. <i>Journal of Advances in Modeling Earth Systems</i>, 18, e1, 2025</li>
<li><b>Example, D. M.</b>, Roe, A., &amp; Poe, J. <a href="https://doi.org/10.1/b">Bathymetry imposes a pattern of
cross-front transport</a>. <i>Journal of Physical Oceanography</i>, 55, 317-338, 2025 [<a href="https://x.example/c">code</a>]</li>
</ol>""")

# Titles in italics, then a pipe and an author list shortened with "...", closed by the year in parentheses.
ELIDED_AUTHORS_AFTER_A_PIPE = page("""<h2>Research publications</h2><ul>
<li><p><em>A Connectome of the Fly Ventral Nerve Cord</em> | Ann Roe, ..., <strong>Example D</strong>, ..., Poe J,
Moe L (2023) <a href="https://x.example/elife">eLife</a></p></li>
<li><p><em>Recurrence Analysis of Dynamic Brain Networks</em> | Roe A, Example D, Poe J (2020) European Journal of
Neuroscience</p></li></ul>""")

# Vancouver-style references whose names carry particles ("do Vale"), initials that spell a word
# ("Lima AS") and an elided stretch ("[…]").
NAMES_WITH_PARTICLES = page("""<h2>Publications</h2><ol type="1">
<li>Example DK, do Vale LHM, Del Monte EM (2020) Spatiotemporal spread of a citrus disease in commercial orchards.
<em>Tropical Plant Pathology</em>. 45:668-679.</li>
<li>Roe JP, Poe JP, Moe FM, Pardo JM, […], Example DK, Del Monte EM (2021) Sequential applications for controlling
wheat blast. <em>Plant Disease</em>. 105:4051-4059.</li>
<li>Gomes IRG, Roe MR, Example DK, Lima AS, Souza SA (2025) Temporal dynamics of a root-knot nematode under
different management methods. <em>Crop Protection</em>. 107012.</li></ol>""")

# A table whose papers take three rows each: a row opened by a venue badge, then rows with an empty first
# cell for the authors and for the venue.
PAPERS_OVER_ROWS = page("""<h2>Selected Publications</h2><table>
<tr><td><strong>[<em>ICML</em>]</strong></td><td><a href="https://arxiv.org/abs/1">Longer Context, Deeper
Thinking in Small Models</a></td></tr>
<tr><td></td><td>Ann Roe, Jo Poe, <strong>Dana Example</strong>, Lee Moe</td></tr>
<tr><td></td><td><em>International Conference on Machine Learning (ICML)</em>, 2025</td></tr>
<tr><td><strong>[<em>arXiv</em>]</strong></td><td><a href="https://arxiv.org/abs/2">Flow Models for Structure
Prediction</a></td></tr>
<tr><td></td><td>Jo Poe*, <strong>Dana Example</strong>*, Ann Roe</td></tr>
<tr><td></td><td><em>arXiv</em>, 2024</td></tr></table>""")

# A generated listing: each item an APA reference over a cloud of in-page category links, the list inside a
# wrapper beside a hidden "No matching items" note; a pagination <nav> after another list.
LISTING_WITH_CATEGORY_TAGS = page("""<h2>Journal articles</h2>
<div class="listing-container"><div class="project-list"><ul class="list">
<li class="project"><div class="pub-info"><p><strong>Example, D.</strong>, Roe, A., &amp; Poe, J. (2026). A beta way:
A tutorial on beta regression for psychological research. <em>Behavior Research Methods</em>.</p></div>
<div class="categories"><div><a href="#category=beta regression">beta regression</a></div>
<div><a href="#category=R tutorial">R tutorial</a></div><div><a href="#category=psychology">psychology</a></div></div></li>
<li class="project"><div class="pub-info"><p>Roe, A., Example, D.., &amp; Poe, J. (2026, January 28). Why risk it:
A tutorial for reproducible simulation studies. Retrieved from osf.io/preprints/abc</p></div>
<div class="categories"><div><a href="#category=reproducibility">reproducibility</a></div>
<div><a href="#category=simulation">simulation studies</a></div><div><a href="/pub/2/">Full details »</a></div></div></li>
<li class="project"><div class="pub-info"><p>Moe, L., Example, D., Poe, J.M.(2025). The coding brain: P600 effects
elicited by a visual programming language. <em>Brain and Language</em>.</p></div></li>
</ul></div><div class="listing-no-matching d-none">No matching items</div></div>
<h2>Preprints</h2><div class="pubs"><div class="pub-list-item"><span>Ann Roe, <b>Dana Example</b></span> (2026).
<a href="/publication/x/">A dual system supporting cognitive flexibility</a>. <em>bioRxiv</em>.</div>
<div class="pub-list-item"><span>Jo Poe, <b>Dana Example</b></span> (2025). <a href="/publication/y/">Working memory
codes in parietal cortex</a>. <em>eLife</em>.</div></div><nav class="pagination"><a href="/page/2/">Next »</a></nav>""")

# A linguist's list (the unified style sheet): "Surname, Given. Year. Title. Journal volume.issue. pages." and
# talks under "Conference Talks", which are no papers.
UNIFIED_STYLE_AND_TALKS = page("""<h2>Journal Papers</h2><ul>
<li>Example, Dana. 2020. Vowel deletion involves compensatory lengthening. Stellenbosch Papers in Linguistics 60.
1-20. [<a href="https://doi.org/10.1/a">doi</a>]</li>
<li>Example, Dana. 2019. Long-distance major place harmony. Phonology 36.4. 573-604.</li></ul>
<h2>Conference Talks</h2><ul>
<li>Example, Dana. 2019. Social information in sentence processing. Talk at the Example Linguistics Meeting.</li>
<li>Example, Dana and Ann Roe. 2018. Prosodic focus strengthens persistence. Talk at the Example Symposium.</li></ul>""")

# A page builder's column holding a second HTML document pasted whole (its own <title>, never shown), its table
# a row a reference beside a download link labelled with a short name; a menu of a few words above it.
PASTED_DOCUMENT_IN_A_COLUMN = page("""<ul class="menu"><li><a href="/">Home</a></li><li><a href="/cv">CV</a></li>
<li><a href="/d">Downloads</a></li><li><a href="/p">Pubs</a></li></ul>
<table class="multicol"><tr><td class="col">
<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8"><title>Invisible Table</title>
<style>.t td { border: none; }</style></head><body><table class="t">
<tr><td class="c1">Example, D., &amp; Roe, A. (2026). Morphological parsing for a mixed language: when accessibility
matters more. Proceedings of the Ninth Workshop on Endangered Languages, 1-9.</td>
<td class="c2"><a href="./papers/parser.pdf"><img src="pdf.png"> <br> ML Parser</a></td></tr>
<tr><td class="c1">Example, D. (2025). Written vowel variation in a mixed language. Written Language and Literacy,
28(2), 171-226.</td><td class="c2"><a href="./papers/vowels.pdf"><img src="pdf.png"> <br> Written Vowels</a></td></tr>
<tr><td class="c1">Example, D., Roe, A., &amp; Poe, J. (2023). The realization of voiceless nasal consonants.
Journal of Phonetics, 12, 1-20.</td><td class="c2"><a href="./papers/nasals.pdf"><img src="pdf.png"> <br> Nasals</a></td></tr>
</table></body></html></td></tr></table>""")

# Papers summarised one a paragraph: a quoted, linked title and a sentence about it, no authors, venue or year.
SUMMARISED_PAPERS = page("""<h1>Summary of downloadable papers</h1>
<p>Below are brief summaries of some of my papers, the most recent first.</p>
<p>"<a href="full.html#calc">The fundamental theorem of calculus point-free</a>" develops point-free real analysis
by showing how to differentiate some maps.</p>
<p>(with Ann Roe) "<a href="full.html#exp">Point-free construction of real exponentiation</a>" does just that;
logarithms too.</p>
<p>"<a href="full.html#au">Arithmetic universes and classifying toposes</a>" describes how theories can be handled
without choosing a base.</p>""")

# Authors as BibTeX writes them, "Surname, Given and Surname, Given", from a site built from a .bib file.
BIBTEX_AUTHOR_STRINGS = page("""<h2>Publications</h2><ul>
<li><span class="authors">Example, Dana Maria and Roe, Ann and Poe, Jo</span> (2021). <a href="/pub/a/">Infants
learn the contingency between their sounds and a visual reward</a>. <em>Infancy</em>.</li>
<li><span class="authors">Roe, Ann and Example, Dana Maria</span> (2019). <a href="/pub/b/">A meta-analysis of
turn taking in adult-child vocal interactions</a>. <em>PsyArXiv</em>.</li></ul>""")

PAPER_CASES = [
    ("records <br><br> apart", BR_RECORDS, [
        ("Learning to Walk Before Running in Sparse Worlds", "NeurIPS 2023", 2023, 3),
        ("Graph Transformers for Molecule Property Prediction", "ICML 2022", 2022, 2),
        ("A Survey of Robust Optimisation Methods", "arXiv preprint, 2021", 2021, 1)]),
    ("one heading per paper", HEADING_PER_PAPER, [
        ("Neural Parsing with Latent Trees", "Proceedings of ACL (long). 2019", 2019, 3),
        ("Cross-lingual Transfer for Low-resource Tagging", "Proceedings of EMNLP. 2018", 2018, 2),
        ("Fast Decoding of Sequence Models", "Proceedings of NAACL (short). 2018", 2018, 1)]),
    ("year headings with the titles' tag", YEAR_HEADINGS_LIKE_TITLES, [
        ("Diffusion Models for Weather Forecasting", "在投 (under review)", 2024, 2),
        ("Sparse Attention for Long Videos", "CVPR 2024", 2024, 2),
        ("Robust Tracking under Occlusion", "ICCV 2023", 2023, 2)]),
    ("IEEE-style citations", IEEE_CITATIONS, [
        ("Link prediction based on graph neural networks",
         "Advances in Neural Information Processing Systems (NeurIPS-18), 2018", 2018, 2),
        ("Weisfeiler-Lehman neural machine for link prediction",
         "Proceedings of the 23rd ACM SIGKDD Conference (KDD-17), 2017", 2017, 3),
        ("Visible and Infrared Image Fusion using Deep Learning",
         "IEEE Transactions on Pattern Analysis and Machine Intelligence", 2023, 2)]),
    ("APA with bare surnames", APA_SURNAMES, [
        ("All bang, little buck: needs and behaviour in games", "OSF Preprints", 2026, 4),
        ("A multiverse analysis of internet use and well-being", "Technology, Mind, and Behavior", 2024, 2)]),
    ("bold year labels", BOLD_YEAR_GROUPS, [
        ("Nichelle and Nancy: Demographic Attributes and First Name Biases", "ACL", 2023, 2),
        ("Use Defines Possibilities: Reasoning about Object Function", "IWCS", 2023, 2),
        ("Recognition of They/Them as Singular Personal Pronouns", "NAACL", 2022, 2)]),
    ("cards under a Chinese heading", CARDS, [
        ("Driving with Human Decision Logic", "AAAI2025 AAAI Conference on Artificial Intelligence 2025, 2025", 2025, 3),
        ("Language Prompts for Autonomous Driving", "CVPR2025 Computer Vision and Pattern Recognition 2025, 2025", 2025, 3)]),
    ("a linked venue said once is the venue; links repeated on every record and a row of links are buttons",
     APA_LINKED_VENUE, [
        ("Memory, stress, and the hippocampal hypothesis", "Hippocampus", 2019, 3),
        ("Sharing and organizing research products as R packages", "Behavior Research Methods", 2020, 2),
        ("Measures of relative metacognitive accuracy are confounded", "Cortex", 2021, 2)]),
    ("a linked co-author ends the author line: an author, not a button", LINKED_LAST_AUTHOR, [
        ("Learning to Walk in Sparse Worlds", "ICML 2023", 2023, 3),
        ("Graph Transformers for Molecules", "NeurIPS 2022", 2022, 2)]),
    ("authors first, then the title without quotes, then the venue", AUTHORS_FIRST_UNQUOTED, [
        ("Unified Cross-domain Classification via Geometric Adaptations", "Pattern Recognition", 2021, 4),
        ("Image Fusion", "Springer Nature Singapore, 2020", 2020, 3)]),
    ("a journal line with volume, issue and pages before the year", JOURNAL_LINE_WITH_PAGES, [
        ("Intercomparison of Four Coronagraphs", "Solar Physics", 2012, 3),
        ("Multiscale Analysis of Turbulence in Active Regions", "Solar Physics", 2008, 2)]),
    ("venue after the title on its line; work experience is no paper", TITLE_THEN_VENUE_ON_ONE_LINE, [
        ("MemoryBank: Enhancing Language Models with Long-Term Memory", "AAAI, 2024", 2024, 3),
        ("Improving Task Generalization via Unified Schema Prompt", "AI Open, 2023", 2023, 2)]),
    ("a styled span around the whole record is no title", WRAPPED_RECORD, [
        ("A Differentiable Metric Learned from Just Noticeable Differences", "Interspeech, 2020", 2020, 3),
        ("Shape Programs from Sketches", "Eurographics Symposium on Rendering, 2019", 2019, 2)]),
    ("a surname that is a venue word ends the authors when the venue has its own line", SURNAME_LIKE_A_VENUE, [
        ("Agent Interfaces for Software Engineering", "NeurIPS 2024", 2024, 4),
        ("Resolving Real-World Issues with Language Models", "ICLR 2024 (Oral)", 2024, 3)]),
    ("paper boxes with classed and plain parts; a job title and a title opening with a section word",
     CLASSED_PAPER_BOXES, [
        ("Mental Imagery for Robotic Affordances", "CoRL 2022", 2022, 3),
        ("Experience-embedded Visual Foresight", "CoRL 2019", 2019, 2),
        ("Dense Object Descriptors from Radiance Fields", "ICRA 2022", 2022, 2)]),
    ("a table of papers inside font tags inside a paragraph", TABLE_IN_FONT_WITHOUT_DOCTYPE, [
        ("Everybody Dance Again", "ICCV 2019", 2019, 3),
        ("Relighting with a Geometry-Aware Network", "SIGGRAPH 2019", 2019, 2),
        ("Rethinking the Value of Pruning", "ICLR 2019", 2019, 2)]),
    ("loose lines after a title heading belong to its record", LOOSE_LINES_UNDER_TITLE_HEADINGS, [
        ("Interactive Video World Model with Long-Horizon Memory", None, None, 3),
        ("Video Motion Editing with Point Tracks", "CVPR, 2025", 2025, 2)]),
    ("a [New] marker is no venue and no title", NEW_BADGE_AND_TAGS, [
        ("Projective Ray Positional Encoding for Attention", "ECCV, 2026", 2026, 3),
        ("Robot Manipulation with Semantic Augmentations and Action Chunking", "RSS, 2026", 2026, 2),
        ("Hierarchical Sub-Goal Policies for Manipulation", "CoRL, 2025", 2025, 2)]),
    ("a bold title with a name-like half", HALF_NAME_LIKE_TITLE, [
        ("Learning Dexterous Grasps from Tactile Sensing and Visual Servoing", "CoRL, 2024", 2024, 2),
        ("Sparse Graph Transformers", "ICML, 2023", 2023, 2)]),
    ("a card's title heading over a list of its lines; a credit with the last update is no paper",
     CARDS_WITH_LISTED_LINES, [
        ("Interpreting the Second-Order Effects of Neurons in CLIP", "ICLR 2025", 2025, 3),
        ("Interpreting the Weight Space of Customized Diffusion Models", "NeurIPS 2024", 2024, 4),
        ("Test-Time Training with Masked Autoencoders", "NeurIPS 2022", 2022, 3),
        ("Deformable Kernels for Object Deformation", "ICLR, 2020", 2020, 2)]),
    ("topic headings over short lists of references stay sections", TOPICS_OVER_SHORT_LISTS, [
        ("Parallel and High-Fidelity Text-to-Lip Generation", "AAAI 2022", 2022, 3),
        ("Flow-based Unconstrained Lip to Speech Generation", "AAAI 2022", 2022, 2),
        ("Non-Autoregressive Lipreading with Integrate-and-Fire", "ACM-MM 2020", 2020, 2),
        ("Speech to Speech Translation for Unwritten Languages", "AAAI 2021", 2021, 2),
        ("Simultaneous Speech to Text Translation", "ACL 2020", 2020, 2)]),
    ("blank lines inside entries; bare initials", BLANK_LINES_INSIDE_ENTRIES, [
        ("Space-Time Correspondence as a Contrastive Random Walk", "NeurIPS 2020, Oral Presentation", 2020, 3),
        ("Evaluating the First Steps towards a Useful General AI", "ICLR 2017 Workshop", 2017, 4)]),
    ("an italic title after the authors", ITALIC_TITLE_AFTER_AUTHORS, [
        ("Coordinating Cross-modal Traffic Prediction with Geo-image Encoding", "WWW 2026", 2026, 4),
        ("Balancing Competition for Fairness-aware Task Assignment", "ICDE 2026", 2026, 4),
        ("Finding Counterfactual Evidences for Node Classification", "KDD 2025", 2025, 3)]),
    ("a tag is not the title it is the start of", TAGS_AFTER_A_PLAIN_TITLE, [
        ("Sparse Voxels Rasterization for Radiance Fields", "CVPR 2025", 2025, 2),
        ("Hashing Video Decomposition in Space-Time", "ICCV 2023", 2023, 2)]),
    ("a date opening a record is no title", DATES_ARE_NO_TITLES, [
        ("Grounded Evaluation for Text-Guided Image Editing", "arXiv:2505.11493", 2025, 3),
        ("Scalable Text and Image Conditioned Video Generation", "ICCV'25", 2025, 2),
        ("Benchmarking Temporal Compositionality in Video Generation", "ACL'25 (Findings)", 2025, 2),
        ("Language-Driven Artistic Style Transfer", "ECCV'22", 2022, 3)]),
    ("references under kind labels, a blank line apart, beside a bar; talks under a large heading",
     REFERENCES_UNDER_LABELS, [
        ("Slow Light in Layered Photonic Crystals",
         "Doctoral Dissertation, Physics, University of Example. (2018)", 2018, 1),
        ("Tunable Nanogap Arrays for Raman Sensing", "Applied Optics Letters", 2022, 3),
        ("Dual Gratings with Sub-10 nm Gaps", "Journal of Nanophotonics 11", 2019, 2),
        ("Plasmonic Pixels for Colour Displays", "Proc. SPIE 10722, 2R (2018)", 2018, 2)]),
    ("author-date references with quoted titles; rows of resource links", AUTHOR_DATE_QUOTED_TITLES, [
        ("Uncertainty in Grid Data: A Theory and a Test", "Quality & Quantity", 2023, 1),
        ("Displacement and the Expectation of Violence", "Conflict Management and Peace Science", 2021, 2),
        ("Audience Costs and Coercive Diplomacy", "Research & Politics", 2019, 2)]),
    ("co-authors after the title; a journal's name cut short", COAUTHORS_AFTER_TITLES, [
        ("Unbounded matroids", "Preprint (12/5/23)", None, 0),
        ("Chromatic functions of trees", "Bull. Lond. Math. Soc", 2024, 0),
        ("Interval parking functions", "Adv. Appl. Math", 2021, 0)]),
    ("references in a cell, in a paragraph and loose; the owner underlined", UNDERLINED_OWNER_IN_A_CELL, [
        ("Assessment of a small-scale fishery using a length metric", "PLoS One", 2021, 2),
        ("Climate effects on fish diversity in subtropical bays", "Estuarine, Coastal and Shelf Science 249", 2021, 3),
        ("Selection of trilateral continuums of life history strategies", "Scientific Reports", 2018, 1),
        ("Demography and population trends of whooping cranes", "Journal of Field Ornithology", 2012, 3),
        ("Identifying interactions among salmon populations", "Ecology", 2008, 2)]),
    ("an old page: papers by the owner, co-authors after 'with'", OLD_PAGE_WITH_COAUTHORS, [
        ("Tungsten shields in a compact fusion plant", "Nucl. Fusion 61 086018", 2021, 3),
        ("Design of boride shields for a fusion power plant", "Nucl. Fusion", 2018, 2),
        ("Heat deposition into a superconducting central column", "Nucl. Fusion", 2015, 1)]),
    ("a heading left open around the lists; APA references, 'et al.'", HEADING_LEFT_OPEN, [
        ("Beyond Letters: Transport as a Model of Reading", "Neurobiology of Language, 1-62", 2025, 3),
        ("Measuring the Priming Effect Across Many Languages", "Nature Human Behaviour", 2025, 1),
        ("An R package for the controlled generation of word stimuli", "Behavior Research Methods, 52, 1-12", 2020, 3)]),
    ("navigation holds no papers; linked titles after surname-first authors",
     LINKED_TITLES_AFTER_SURNAME_FIRST_AUTHORS, [
        ("Stability Bias in Lagrangian Tracking in Divergent Flows",
         "Journal of Advances in Modeling Earth Systems, 18, e1, 2025", 2025, 5),
        ("Bathymetry imposes a pattern of cross-front transport", "Journal of Physical Oceanography, 55, 317-338, 2025",
         2025, 3)]),
    ("authors elided after a pipe, closed by the year", ELIDED_AUTHORS_AFTER_A_PIPE, [
        ("A Connectome of the Fly Ventral Nerve Cord", None, 2023, 4),
        ("Recurrence Analysis of Dynamic Brain Networks", "European Journal of Neuroscience 2020", 2020, 3)]),
    ("a paper over three rows: the rows with an empty first cell continue it", PAPERS_OVER_ROWS, [
        ("Longer Context, Deeper Thinking in Small Models", "International Conference on Machine Learning (ICML), 2025",
         2025, 4),
        ("Flow Models for Structure Prediction", "arXiv, 2024", 2024, 3)]),
    ("a listing: references over linked tags, a wrapper with a note, a pagination nav", LISTING_WITH_CATEGORY_TAGS, [
        ("A beta way: A tutorial on beta regression for psychological research", "Behavior Research Methods", 2026, 3),
        ("Why risk it: A tutorial for reproducible simulation studies", "Retrieved from osf.io/preprints/abc", 2026, 3),
        ("The coding brain: P600 effects elicited by a visual programming language", "Brain and Language", 2025, 3),
        ("A dual system supporting cognitive flexibility", "bioRxiv", 2026, 2),
        ("Working memory codes in parietal cortex", "eLife", 2025, 2)]),
    ("the unified style sheet; talks at conferences are no papers", UNIFIED_STYLE_AND_TALKS, [
        ("Vowel deletion involves compensatory lengthening", "Stellenbosch Papers in Linguistics 60. 1-20", 2020, 1),
        ("Long-distance major place harmony", "Phonology 36.4. 573-604", 2019, 1)]),
    ("a pasted document in a column: references beside labelled download links; a menu above",
     PASTED_DOCUMENT_IN_A_COLUMN, [
        ("Morphological parsing for a mixed language: when accessibility matters more",
         "Proceedings of the Ninth Workshop on Endangered Languages, 1-9", 2026, 2),
        ("Written vowel variation in a mixed language", "Written Language and Literacy", 2025, 1),
        ("The realization of voiceless nasal consonants", "Journal of Phonetics, 12, 1-20", 2023, 3)]),
    ("papers summarised one a paragraph under quoted titles", SUMMARISED_PAPERS, [
        ("The fundamental theorem of calculus point-free", None, None, 0),
        ("Point-free construction of real exponentiation", None, None, 0),
        ("Arithmetic universes and classifying toposes", None, None, 0)]),
    ("authors as BibTeX writes them", BIBTEX_AUTHOR_STRINGS, [
        ("Infants learn the contingency between their sounds and a visual reward", "Infancy", 2021, 3),
        ("A meta-analysis of turn taking in adult-child vocal interactions", "PsyArXiv", 2019, 2)]),
    ("names with particles, initials that spell a word, an elided stretch", NAMES_WITH_PARTICLES, [
        ("Spatiotemporal spread of a citrus disease in commercial orchards", "Tropical Plant Pathology", 2020, 3),
        ("Sequential applications for controlling wheat blast", "Plant Disease", 2021, 6),
        ("Temporal dynamics of a root-knot nematode under different management methods", "Crop Protection. 107012", 2025, 5)]),
]


@pytest.mark.parametrize("html,expected", [(c[1], c[2]) for c in PAPER_CASES], ids=[c[0] for c in PAPER_CASES])
def test_papers(html: str, expected: list[tuple[str, str, int, int]]) -> None:
    got = [(p.title, p.venue, p.year, len(p.authors)) for p in extract(html, format="html", today=TODAY).publications]
    assert got == expected


# A template's code left in the page (``<?php ... ?>``) is a processing instruction to the parser: skipped.
LEFT_PHP = page("""<h2>News</h2><ul><?php include 'news.php'; ?>
<li>2024-03-02: Our paper on sparse graphs was accepted at a workshop.</li>
<li>2023-11-20: <?php echo $award; ?> I received a teaching award from the department.</li></ul>""")

# News lines a <br> apart inside inline wrappers (a <font> and a <span>) around the whole list.
WRAPPED_NEWS_LINES = page("""<h3>News</h3><font face="helvetica"><span style="font-size: 10pt;">
<b>[Feb 2026]</b> Three papers were accepted to CVPR 2026.<br>
<b>[Jan 2026]</b> Two papers were accepted to ICLR 2026.<br>
<b>[Jun 2025]</b> I'll be speaking at a <a href="https://x.example/">workshop</a> on generative media.<br>
</span></font><h3>Publications</h3>""")

# A résumé's entries under a "Highlights" heading: a span of dates and nothing else is no news item.
DATE_SPANS_UNDER_HIGHLIGHTS = page("""<section><h3>Internship at Example Networks</h3>
<h4>Highlights</h4><p><time datetime="2019-08-06">Aug 2019</time> – <time datetime="2019-09-27">Sep 2019</time></p>
<h3>Internship at Example Labs</h3>
<h4>Highlights</h4><p><time datetime="2019-04-01">Apr 2019</time> – <time datetime="2019-06-30">Jun 2019</time></p>
<h4>Highlights</h4><ul><li>2019.05: Our demo won the best demo award at the Example Workshop.</li></ul></section>""")

# A sidebar after the news, under the owner's name (a heading that names no section): its lines are no news.
SIDEBAR_AFTER_NEWS = page("""<h2>News</h2><ul><li>2019-06: I have joined Example AI Center.</li>
<li>2018-03: We won the Best Paper Award at an example conference.</li></ul>
<div class="sidebar"><h3>Dana Example</h3><p>Machine Learning Research Engineer Example AI Center, Cambridge</p>
<ul><li><a href="/about/">About</a></li><li><a href="/publications/">Publications</a></li></ul></div>""")

# Older news in a collapsed part of the list ("More…"): a reader can open it, so its items count.
NEWS_MORE_COLLAPSED = page("""<h2>News</h2><ul>
<li><strong>2025.06</strong>: Our paper on long contexts was accepted at ICML 2025!</li>
<li><strong>2025.05</strong>: Gave a talk at the Example Seminar.</li>
<li><details><summary>More…</summary><ul>
<li><strong>2024.08</strong>: Excited to join Example University as an assistant professor!</li>
<li><strong>2024.04</strong>: Honored to receive a graduate research fellowship.</li></ul></details></li></ul>""")

NEWS_CASES = [
    ("a dated table under no telling heading is news", NEWS_TABLE, ["2024.02", "2023.12", "2023.09"], 0),
    ("a timeline of date ranges is not news", TIMELINE_TABLE, [], 0),
    ("template code left in the page is skipped", LEFT_PHP, ["2024-03-02", "2023-11-20"], 0),
    ("news lines inside inline wrappers", WRAPPED_NEWS_LINES, ["Feb 2026", "Jan 2026", "Jun 2025"], 0),
    ("a span of dates alone is no news item", DATE_SPANS_UNDER_HIGHLIGHTS, ["2019.05"], 0),
    ("an undated line under a heading that names nothing is no news item", SIDEBAR_AFTER_NEWS,
     ["2019-06", "2018-03"], 0),
    ("older news collapsed under 'More…' counts", NEWS_MORE_COLLAPSED, ["2025.06", "2025.05", "2024.08", "2024.04"], 0),
]


def test_a_move_told_in_the_news_within_a_year_of_the_newest_item_is_current() -> None:
    """A news item ten months older than the newest still speaks for now (the labels' convention: within
    a year); one from two years before is history."""
    found = extract(NEWS_MORE_COLLAPSED, format="html", today=TODAY)
    assert [a.kind for a in found.announcements] == ["joining"]
    older = NEWS_MORE_COLLAPSED.replace("2024.08", "2023.06").replace(  # (the first three items always count)
        "<li><details>", "<li><strong>2025.04</strong>: Taught a new course.</li><li><details>")
    assert extract(older, format="html", today=TODAY).announcements == []


@pytest.mark.parametrize("html,dates,papers", [(c[1], c[2], c[3]) for c in NEWS_CASES], ids=[c[0] for c in NEWS_CASES])
def test_news(html: str, dates: list[str], papers: int) -> None:
    found = extract(html, format="html", today=TODAY)
    assert [n.date for n in found.news] == dates
    assert len(found.publications) == papers


@pytest.mark.parametrize("title,name", [
    ("Ada Lovelace | Home", "Ada Lovelace"),
    ("About Me - Jeffrey J. Ma", "Jeffrey J. Ma"),  # (a template's page name before the owner's)
    ("Publications · Ravi Tej Akella", "Ravi Tej Akella"),
    ("Personal Website", None),
])
def test_the_owner_s_name_from_the_page_title(title: str, name: str | None) -> None:
    html = f"<html><head><title>{title}</title></head><body><p>Some text about research.</p></body></html>"
    assert extract(html, format="html", today=TODAY).profile.name == name


@pytest.mark.parametrize("text,kind", [
    ("Work Experience", "other"),
    ("Industry Experience", "other"),
    ("Journal Papers", "publications"),
    ("Conference Publications", "publications"),
    ("Recent Updates", "news"),
    ("🏛️ Academic conferences", "other"),
    ("Educations", "other"),
    ("Representative Projects", None),  # projects often list papers: their content decides
    ("Deep Learning", None),
    ("Research Scientist", "other"),  # a job title
    ("Research Engineer", "other"),
    ("Research", "publications"),
    ("On-line papers by Dana Example", "publications"),  # (whose the list is says nothing of what it holds)
    ("University Students and AI Residents", "other"),  # (two headings joined: the first one's kind)
    ("Journal Papers and Preprints", "publications"),
    ("Deep Learning and Vision", None),
    ("Conference Talks", "other"),  # (where the talks were given: named by the last word)
    ("Conference Papers", "publications"),
    ("Publications and Talks", "publications"),
])
def test_heading_kind_by_head_noun(text: str, kind: str | None) -> None:
    assert heading_kind(text) == kind


@pytest.mark.parametrize("text,expected", [
    ("A. M. Vàsquez", True),
    ("M. N'Diaye", True),
    ("D.P. Bavirisetti", True),
    ("J.-P. Dupont", True),
    ("Łukasz Kaiser", True),
    ("Haozhe An", True),
    ("Learning An", False),
    ("Deep Learning", False),
])
def test_names(text: str, expected: bool) -> None:
    assert looks_like_name(text) is expected


@pytest.mark.parametrize("venue,expected", [  # the name is what comes before the first detail
    ("IEEE Transactions on Knowledge and Data Engineering, 34(6):2948-2961, 2022",
     "IEEE Transactions on Knowledge and Data Engineering"),
    ("Pattern Recognition, vol. 142, pp. 1-9, 2023", "Pattern Recognition"),
    ("Information Fusion, 41: 119-128, 2018", "Information Fusion"),
    ("Solar Physics, v. 248, no. 2, pp. 297-309, April, 2008", "Solar Physics"),
    ("Proceedings of the British Machine Vision Conference, pp. 120.1-120.11, August, 2012",
     "Proceedings of the British Machine Vision Conference"),
    ("Computational Science and Discovery, Volume 8, Issue 1, January, 2015", "Computational Science and Discovery"),
    ("34(6):2948-2961, IEEE TKDE", "IEEE TKDE"),  # details first: dropped, the name kept
    ("ACM Transactions on Multimedia Computing, Communications, and Applications, 2023",
     "ACM Transactions on Multimedia Computing, Communications, and Applications, 2023"),
    ("ICML 2024 (Oral)", "ICML 2024 (Oral)"),
    ("Volume Visualization Symposium 2019", "Volume Visualization Symposium 2019"),  # a word, not a detail
])
def test_venue_details_dropped(venue: str, expected: str) -> None:
    assert venue_without_details(venue) == expected


@pytest.mark.parametrize("text,expected", [
    ("Ballou, Földes, Vuorre, & Przybylski", True),
    ("Vuorre & Przybylski", True),
    ("van Leeuwen, Jaeger", True),
    ("Vision, Language, and Robotics", False),
    ("Przybylski", False),
])
def test_surname_lists(text: str, expected: bool) -> None:
    assert surname_list(text) is expected


def test_explain_shows_where_records_were_cut_and_the_role_of_each_line() -> None:
    page = extract(HEADING_PER_PAPER, format="html", today=TODAY, explain=True)
    papers = next(s for s in page.explain if s["section"] == "Papers")
    assert papers["evidence"]["heading"] == "publications" and papers["evidence"]["papers"] == 1.0
    assert [c["roles"] for c in papers["cuts"]] == [["title", "authors", "venue"]] * 3
    assert papers["cuts"][2]["item"] == "paper: Fast Decoding of Sequence Models"
    teaching = next(s for s in page.explain if s["section"] == "Teaching")
    assert teaching["read_as"] == "rejected" and teaching["cuts"][0]["item"] is None


def test_explain_is_off_by_default() -> None:
    page = extract(HEADING_PER_PAPER, format="html", today=TODAY)
    assert all("cuts" not in s for s in page.explain)


def test_a_section_of_another_kind_is_cut_into_records_only_to_be_shown() -> None:
    """Teaching is read as nothing whatever it holds: without --explain it is not cut (nor listed), and the
    papers are the same either way."""
    plain = extract(HEADING_PER_PAPER, format="html", today=TODAY)
    shown = extract(HEADING_PER_PAPER, format="html", today=TODAY, explain=True)
    assert [s["section"] for s in shown.explain if s["read_as"] == "rejected"] == ["Teaching"]
    assert next(s for s in shown.explain if s["section"] == "Teaching")["records"] >= 1
    assert not any(s["section"] == "Teaching" for s in plain.explain)
    assert [p.to_json() for p in plain.publications] == [p.to_json() for p in shown.publications]


JSON_LD = """<!doctype html><html><head><title>Dana Example</title>
<script type="application/ld+json">{"@context": "https://schema.org", "@graph": [
 {"@type": "Person", "name": "Dana Example"},
 {"@type": "ScholarlyArticle", "headline": "Sparse Rewards in Long Horizons", "datePublished": "2024-05-01",
  "author": [{"@type": "Person", "name": "Dana Example"}, {"@type": "Person", "name": "Lee Park"}],
  "isPartOf": {"@type": "Periodical", "name": "ICML 2024"}},
 {"@type": "ScholarlyArticle", "name": "Counting Objects in Clutter", "datePublished": "2023",
  "author": {"@type": "Person", "name": "Dana Example"}, "publisher": {"name": "CVPR"}}]}
</script></head><body><h1>Dana Example</h1><p>I work on learning.</p></body></html>"""

CITATION_META = """<!doctype html><html><head><title>Paper</title>
<meta name="citation_title" content="A Single Paper Page">
<meta name="citation_author" content="Dana Example"><meta name="citation_author" content="Lee Park">
<meta name="citation_conference_title" content="NeurIPS 2022">
<meta name="citation_publication_date" content="2022/12/01"></head><body><p>Abstract text.</p></body></html>"""

BIBTEX_FILLS = page("""<h2>Publications</h2><ol>
<li><span>Preprint</span> <b>Scaling Laws for Tiny Models</b> <a href="https://github.com/a/b">Code</a><br>
A. Person, B. Person<br><a href="https://arxiv.org/abs/2401.00001">arXiv</a>
<div class="bibtex hidden"><pre>@article{person2024scaling,
  title = {Scaling Laws for Tiny Models},
  author = {Person, Ann and Person, Bob},
  journal = {arXiv preprint arXiv:2401.00001},
  year = {2024}
}</pre></div></li>
<li><b>Seeing Through Fog with Event Cameras</b><br>A. Person, C. Person<br>CVPR 2023</li>
</ol>""")


@pytest.mark.parametrize("html,expected", [
    (JSON_LD, [("Sparse Rewards in Long Horizons", "ICML 2024", 2024, 2), ("Counting Objects in Clutter", "CVPR", 2023, 1)]),
    (CITATION_META, [("A Single Paper Page", "NeurIPS 2022", 2022, 2)]),
    (BIBTEX_FILLS, [("Scaling Laws for Tiny Models", "Preprint", 2024, 2),
                    ("Seeing Through Fog with Event Cameras", "CVPR 2023", 2023, 2)]),
], ids=["json-ld list", "citation meta tags", "bibtex fills a record"])
def test_structured_data(html: str, expected: list[tuple[str, str, int, int]]) -> None:
    got = [(p.title, p.venue, p.year, len(p.authors)) for p in extract(html, format="html", today=TODAY).publications]
    assert got == expected


BADGES = page("""<h2>Publications</h2><ul>
<li><span class="badge">Preprint</span> Scaling Laws for Tiny Models <a href="https://github.com/a/b">Code</a><br>
A. Person, B. Person<br>arXiv 2024</li>
<li><span class="tag">Oral</span> Seeing Through Fog with Event Cameras <a href="https://github.com/a/c">[Code]</a>
<a href="p.pdf">[PDF]</a><br>A. Person, C. Person<br>CVPR 2023</li>
<li>在投 Diffusion Models for Weather Forecasting<br>Li Wei, Wang Fang<br>2024</li>
</ul>""")


def test_badges_and_buttons_stay_out_of_titles() -> None:
    got = [(p.title, p.venue) for p in extract(BADGES, format="html", today=TODAY).publications]
    assert got == [("Scaling Laws for Tiny Models", "Preprint"),
                   ("Seeing Through Fog with Event Cameras", "CVPR 2023 (Oral)"),
                   ("Diffusion Models for Weather Forecasting", "在投")]


@pytest.mark.parametrize("sentence,in_news,kinds", [
    ("I am on the 2024-2025 academic job market", False, {"on_market"}),
    ("I'm looking for a job for when I graduate in June!", False, {"on_market", "graduating"}),
    ("I am on the job market, and my expected graduation date is July 2024.", False, {"on_market", "graduating"}),
    ("I will be an Assistant Professor of Computing at Caltech, starting January 2023.", False, {"joining"}),
    ("(Jan. 2025) I join the School of Computer Science and Technology at Guangdong University of Technology, "
     "as a Lecturer.", True, {"joining"}),
    ("I have multiple opening positions for research interns and RAs.", True, {"hiring_students"}),
    ("(Dec. 2024) I pass the Ph.D. final defense titled Describing Multimedia.", True, {"graduating"}),
    ("PhD thesis defended.", True, {"graduating"}),
    ("I defended my PhD thesis at MIT in 2015.", False, set()),  # a bio's history is no announcement
    ("I recently completed my Ph.D. in June 2025.", False, {"graduating"}),
    ("Prospective PhD students: start here.", False, {"hiring_students"}),
    ("长期招收硕士生、博士生和博士后。", False, {"hiring_students"}),
    ("I am not looking for students this year.", False, set()),
    ("If you want to join us, send an email.", False, set()),
    # a sentence to the reader tells no plan of the owner's; the hiring sentence before it still counts
    ("We are looking for research interns. If you're interested in exploring these opportunities, reach out.",
     False, {"hiring_students"}),
    ("I am exploring new opportunities in industry.", False, {"on_market"}),
    # a negation speaks for its own clause only
    ("I expect to recruit a few Ph.D. students in the upcoming cycle, but I'm not accepting postdocs this year.",
     False, {"hiring_students"}),
    ("I am not recruiting students this year, but I am on the job market.", False, {"on_market"}),
    ("I will not be recruiting students; sorry.", False, set()),
    ("I am starting as an assistant professor at Example University this Fall!", True, {"joining"}),
    ("Excited to join Example University as an assistant professor!", True, {"joining"}),
    ("Made it to Example City! Officially starting at Example University!", True, {"joining"}),
    ("Excited to join us? Apply below.", False, set()),  # (an invitation)
])
def test_announcements(sentence: str, in_news: bool, kinds: set[str]) -> None:
    from monitor.extract.announce import find_announcements
    from monitor.models import NewsItem

    found = find_announcements([], [NewsItem(date=None, text=sentence)]) if in_news else find_announcements([sentence], [])
    assert {a.kind for a in found} == kinds


@pytest.mark.parametrize("kind,sentence", [
    ("on_market", "i am on the academic job market"), ("on_market", "i am on the market"),
    ("on_market", "actively seeking new research roles"), ("on_market", "open to career opportunities"),
    ("on_market", "exploring employment"), ("on_market", "looking for positions"),
    ("graduating", "i expect to graduate in may"), ("graduating", "i will be graduating soon"),
    ("graduating", "graduating this spring"), ("graduating", "i will defend my phd thesis"),
    ("graduating", "when i graduate"), ("graduating", "expected graduation: 2025"),
    ("graduating", "my graduation date is july"),
    ("hiring_students", "looking for 2-3 phd students"), ("hiring_students", "we are actively hiring"),
    ("hiring_students", "postdoc positions are available"), ("hiring_students", "open positions for interns"),
    ("hiring_students", "openings: two"), ("hiring_students", "prospective students: read this"),
    ("hiring_students", "长期招收博士生"),
    ("hiring_students", "if you are a student interested in ml, please email me"),
    ("joining", "i will join acme"), ("joining", "i am excited to start at acme"),
    ("joining", "we will move to boston"), ("joining", "i am moving to paris"), ("joining", "he has joined x"),
    ("joining", "i joined acme as a scientist"), ("joining", "i will be an assistant professor"),
    ("joining", "she will be the next lecturer"), ("joining", "will be joining mit as an intern"),
    ("joining", "an incoming 2025 faculty"),
    ("other", "transitioning to industry"), ("other", "no longer accepting new students"),
    ("recently_graduated", "i recently completed my ph.d."), ("recently_graduated", "just defended my doctorate"),
    ("just_graduated", "successfully defended my thesis"), ("just_graduated", "dissertation was defended"),
    ("just_graduated", "passed my final defense"),
])
def test_announcement_cues_hold_for_every_alternative(kind: str, sentence: str) -> None:
    """A text is searched for a kind only when it holds one of the kind's cue words: every way of
    announcing must hold one, or announcements would be missed silently."""
    from monitor.extract import announce

    patterns = dict(announce.PATTERNS) | {"recently_graduated": announce._RECENTLY_GRADUATED,
                                          "just_graduated": announce._JUST_GRADUATED}
    assert patterns[kind].search(sentence)
    assert announce._cued(sentence, kind)


@pytest.mark.parametrize("text,kind", [
    ("精选论文", "publications"),
    ("学术动态", "news"),
    ("最新消息 / Latest News", "news"),
    ("个人简介", "other"),
    ("招生信息", "other"),
])
def test_cjk_headings_name_their_section_anywhere(text: str, kind: str) -> None:
    assert heading_kind(text) == kind


@pytest.mark.parametrize("entry, fields", [
    ('@article{k, title = {A {Nested} Title}, year = 2024}', {"title": "A {Nested} Title", "year": "2024"}),
    ('@misc{k, title = "Quoted, with a comma", volume = 12.3-a, note = {}}',
     {"title": "Quoted, with a comma", "volume": "12.3-a", "note": ""}),
    ('@inproceedings{k,\n  author = {Roe, A. and {van} Poe, B.},\n  booktitle={ICML}\n}',
     {"author": "Roe, A. and {van} Poe, B.", "booktitle": "ICML"}),
    ('@article{k, title = {Cut short', {"title": "Cut short"}),  # no closing brace: up to the end of the text
])
def test_bibtex_fields(entry: str, fields: dict[str, str]) -> None:
    from monitor.extract.structured import _BIB_ENTRY, _bib_fields

    m = _BIB_ENTRY.search(entry)
    assert m is not None and _bib_fields(entry, m.end()) == fields
