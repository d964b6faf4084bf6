from dwt.cli import main

raise SystemExit(main())
